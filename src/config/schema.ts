// The structural schema of config.yml (ajv). Every key TPA accepts on an instance (on any
// platform, see platforms.ts) is typed here; which of them a given instance may carry
// depends on its platform and is checked after merging (validate.ts), as TPA does.
// Unknown keys are accepted at the top level and in cluster_vars/vars (TPA configs carry
// many settings for other roles) but not on instances, instance_defaults or locations.
// `description` doubles as the hint shown when a value is rejected.
import type { ErrorObject, SchemaObject, ValidateFunction } from 'ajv';
import { validate as generatedValidate } from './config-validator.generated.js';
import { ALL_INSTANCE_KEYS } from './platforms.js';

export const INSTANCE_KEYS = ALL_INSTANCE_KEYS;

/** A string or a list of strings; `stringPattern` applies to the plain-string form. */
// Bounds that keep work linear: every host gets a copy of cluster_vars and the defaults.
export const MAX_INSTANCES = 1000;
export const MAX_VARS = 500;

const nameList = (what: string, pattern: string, description: string, stringPattern = pattern): SchemaObject => ({
  type: ['string', 'array'],
  pattern: stringPattern,
  maxLength: 1024,
  minItems: 1,
  maxItems: 64,
  items: { type: 'string', pattern, maxLength: 253 },
  description: `${what}: ${description}`,
});

const ip: SchemaObject = {
  type: 'string',
  format: 'ip',
  maxLength: 64,
  description: 'an IPv4 or IPv6 address literal, e.g. 10.0.0.1 (quote IPv6 addresses)',
};

/** A value TPA would read as a boolean: YAML true/false, or a YAML 1.1 word such as yes/no. */
const boolish = (what: string): SchemaObject => ({
  type: ['boolean', 'string'],
  pattern: '^([Yy]es|YES|[Nn]o|NO|[Tt]rue|TRUE|[Ff]alse|FALSE|[Oo]n|ON|[Oo]ff|OFF|[YyNn])$',
  description: `${what}: true or false`,
});

const str = (what: string, maxLength = 1024): SchemaObject => ({ type: 'string', minLength: 1, maxLength, description: what });
const strOrInt = (what: string): SchemaObject => ({ type: ['string', 'integer'], maxLength: 64, description: what });
const list = (what: string): SchemaObject => ({ type: 'array', maxItems: 256, description: what });
const mapping = (what: string): SchemaObject => ({ type: 'object', maxProperties: 256, description: what });

/** Keys only `tpaexec provision` reads (aws and docker): type-checked, then ignored. */
const provisioningProperties: Record<string, SchemaObject> = {
  image: str('an image name (AMI id or Docker image)'),
  region: str('a region name, e.g. eu-west-1', 64),
  type: str('an instance type, e.g. t3.micro', 64),
  subnet: str('a subnet (CIDR or subnet id)', 64),
  ec2_ami_user: str('a user name', 64),
  az: str('an availability zone, e.g. eu-west-1a', 64),
  cluster_ssh_user: str('a user name', 64),
  spot_price: { type: ['number', 'string'], maxLength: 32, description: 'a spot price, e.g. 0.05' },
  spot_wait_timeout: { type: 'integer', minimum: 0, description: 'seconds' },
  spot_launch_group: str('a launch group name', 255),
  termination_protection: boolish('termination_protection'),
  assign_public_ip: boolish('assign_public_ip'),
  assign_elastic_ip: boolish('assign_elastic_ip'),
  elastic_ip: { type: 'string', format: 'ip', maxLength: 64, description: 'an IP address' },
  route53_hosted_zone_id: str('a Route 53 hosted zone id', 64),
  route53_private_zone: boolish('route53_private_zone'),
  route53_zone: str('a DNS zone name', 253),
  privileged: boolish('privileged'),
  restart_policy: { type: 'string', enum: ['no', 'on-failure', 'always', 'unless-stopped'], description: 'no, on-failure, always or unless-stopped' },
  memory: strOrInt('a memory limit, e.g. 2g'),
  memory_reservation: strOrInt('a memory reservation, e.g. 1g'),
  shm_size: strOrInt('a /dev/shm size, e.g. 256m'),
  env_file: str('a path to an env file', 4096),
  env: mapping('a mapping of environment variables'),
  log_driver: str('a Docker log driver name', 64),
  log_options: mapping('a mapping of log driver options'),
  exposed_ports: list('a list of ports'),
  published_ports: list('a list of port mappings'),
  devices: list('a list of devices'),
  networks: list('a list of Docker networks'),
  sysctls: mapping('a mapping of sysctls'),
  ulimits: list('a list of ulimits'),
  local_source_directories: list('a list of host:container directories'),
  docker_security_opts: list('a list of security options'),
  docker_cap_add: list('a list of capabilities'),
  docker_cap_drop: list('a list of capabilities'),
};

const instanceProperties: Record<string, SchemaObject> = {
  Name: { type: 'string', minLength: 1, maxLength: 253, description: 'a host name, e.g. pg-one' },
  node: { type: 'integer', minimum: 0, maximum: 1000000, description: 'a unique integer node id' },
  // A role string is split on commas later, where each role gets its own message.
  role: nameList('role', '^[a-z][a-z0-9_-]{0,63}$', 'a list of roles, or a comma-separated string', '^[a-z0-9_, -]*$'),
  backup: nameList('backup', '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'the Name of a barman instance, or a list of them'),
  platform: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$', description: 'a platform name, e.g. bare' },
  location: { type: ['string', 'integer'], maxLength: 253, minimum: 0, description: 'the Name of an entry in locations' },
  upstream: { type: 'string', minLength: 1, maxLength: 253, description: 'the Name of another instance' },
  tags: { type: 'object', maxProperties: 200, description: 'a mapping of tags' },
  vars: { type: 'object', maxProperties: MAX_VARS, description: 'a mapping of host variables' },
  volumes: { type: 'array', maxItems: 256, description: 'a list of volumes' },
  provision_only: { type: 'boolean', description: 'true or false' },
  ansible_host: { type: 'string', minLength: 1, maxLength: 253, description: 'a host name or IP address to connect to' },
  ip_address: ip,
  public_ip: ip,
  private_ip: ip,
  ...provisioningProperties,
};

const { Name: _name, node: _node, ...defaultable } = instanceProperties;

export const CONFIG_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['cluster_name', 'instances'],
  properties: {
    cluster_name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$',
      description: 'letters, digits, "_" and "-", starting with a letter or digit, at most 63 characters',
    },
    cluster_vars: { type: 'object', maxProperties: MAX_VARS, description: 'a mapping of cluster-wide variables' },
    ssh_key_file: { type: 'string', minLength: 1, maxLength: 4096, description: 'a path to the private key: relative to the cluster directory, absolute, or starting with ~/' },
    cluster_ssh_user: { type: 'string', minLength: 1, maxLength: 64, description: 'the user to log in as (TPA reads it as instance_defaults.vars.ansible_user)' },
    ec2_ami_user: { type: 'string', minLength: 1, maxLength: 64, description: 'the user to log in as (TPA reads it as instance_defaults.vars.ansible_user)' },
    instance_defaults: {
      type: 'object',
      properties: { ...defaultable, default_volumes: { type: 'array', maxItems: 256 } },
      additionalProperties: false,
      description: 'a mapping of instance settings',
    },
    locations: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        required: ['Name'],
        properties: { ...defaultable, Name: { type: 'string', minLength: 1, maxLength: 253, description: 'a unique location name' } },
        additionalProperties: false,
        description: 'a mapping with a Name',
      },
      description: 'a list of locations, each a mapping with a Name',
    },
    instances: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_INSTANCES,
      items: {
        type: 'object',
        required: ['node'],
        properties: instanceProperties,
        additionalProperties: false,
        description: 'a mapping describing one instance',
      },
      description: 'a list of instances',
    },
  },
  description: 'a mapping',
};

/**
 * The validator: CONFIG_SCHEMA compiled ahead of time (config-validator.generated.ts,
 * rewritten by `npm run gen:validator`), so no run pays for ajv's compiler.
 */
export function configValidator(): ValidateFunction {
  return generatedValidate as unknown as ValidateFunction;
}

export type SchemaError = ErrorObject;

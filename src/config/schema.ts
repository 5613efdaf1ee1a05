// The structural schema of config.yml (ajv). Only the keys this tool reads are typed;
// unknown keys are accepted at the top level and in cluster_vars/vars (TPA configs carry
// many settings for other roles) but not on instances, where TPA rejects them too.
// `description` doubles as the hint shown when a value is rejected.
import type { ErrorObject, SchemaObject, ValidateFunction } from 'ajv';
import { validate as generatedValidate } from './config-validator.generated.js';

export const INSTANCE_KEYS = [
  'Name',
  'node',
  'role',
  'platform',
  'location',
  'upstream',
  'backup',
  'tags',
  'vars',
  'volumes',
  'provision_only',
  'ansible_host',
  'ip_address',
  'public_ip',
  'private_ip',
] as const;

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
    ssh_key_file: { type: 'string', minLength: 1, maxLength: 4096, description: 'a path to the private key, relative to the cluster directory' },
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

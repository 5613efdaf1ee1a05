// The instance keys TPA accepts, per platform (platforms/common/validate.yml and
// platforms/{bare,aws,docker}/validate.yml), and which of them this tool reads.
//
// TPA checks an instance's keys *after* merging instance_defaults and its location into
// it, against the common keys plus those of the instance's own platform. So an AWS `type`
// in instance_defaults is fine for AWS instances and an error for a bare one.

/** Keys every platform accepts. */
export const COMMON_INSTANCE_KEYS = [
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
] as const;

/** Keys each platform adds to the common ones. */
export const PLATFORM_INSTANCE_KEYS: Readonly<Record<string, readonly string[]>> = {
  bare: ['ip_address', 'public_ip', 'private_ip'],
  aws: [
    'image',
    'region',
    'type',
    'private_ip',
    'subnet',
    'ec2_ami_user',
    'az',
    'cluster_ssh_user',
    'spot_price',
    'spot_wait_timeout',
    'spot_launch_group',
    'termination_protection',
    'assign_public_ip',
    'assign_elastic_ip',
    'elastic_ip',
    'route53_hosted_zone_id',
    'route53_private_zone',
    'route53_zone',
  ],
  docker: [
    'image',
    'privileged',
    'restart_policy',
    'memory',
    'memory_reservation',
    'shm_size',
    'env_file',
    'env',
    'log_driver',
    'log_options',
    'exposed_ports',
    'published_ports',
    'devices',
    'networks',
    'sysctls',
    'ulimits',
    'local_source_directories',
    'docker_security_opts',
    'docker_cap_add',
    'docker_cap_drop',
    'region',
    'ip_address',
  ],
};

export const KNOWN_PLATFORMS = Object.keys(PLATFORM_INSTANCE_KEYS);

/** Platforms whose addresses only exist once `tpaexec provision` has run. */
export const PROVISIONED_PLATFORMS: ReadonlySet<string> = new Set(['aws', 'docker']);

/** TPA's default platform when neither the instance nor instance_defaults sets one. */
export const TPA_DEFAULT_PLATFORM = 'aws';

/** Every key any platform accepts on an instance. */
export const ALL_INSTANCE_KEYS: readonly string[] = [...new Set([...COMMON_INSTANCE_KEYS, ...Object.values(PLATFORM_INSTANCE_KEYS).flat()])];

/**
 * Instance keys tpa-barman reads. Everything else TPA accepts on an instance only
 * matters to `tpaexec provision` (instance types, images, subnets, container options):
 * such keys are type-checked and then ignored.
 */
export const HONOURED_INSTANCE_KEYS: ReadonlySet<string> = new Set([
  ...COMMON_INSTANCE_KEYS,
  'ip_address',
  'public_ip',
  'private_ip',
]);

/** Top-level keys tpa-barman reads (plus cluster_ssh_user/ec2_ami_user, which TPA maps to ansible_user). */
export const HONOURED_TOP_KEYS: ReadonlySet<string> = new Set([
  'cluster_name',
  'cluster_vars',
  'instance_defaults',
  'locations',
  'instances',
  'ssh_key_file',
  'cluster_ssh_user',
  'ec2_ami_user',
]);

/** Top-level settings that only `tpaexec provision` reads. */
export const PROVISIONING_TOP_KEYS: ReadonlySet<string> = new Set([
  'cluster_tags',
  'cluster_rules',
  'cluster_bucket',
  'cluster_profile',
  'ec2_ami',
  'ec2_vpc',
  'ec2_vpc_subnets',
  'ec2_instance_reachability',
  'ec2_key_name',
  'docker_images',
  'docker_networks',
  'route53_zone',
  'route53_hosted_zone_id',
  'Owner',
]);

/**
 * Top-level keys TPA itself writes or reads (tpaexec configure and provision). TPA treats
 * every top-level key as a playbook variable, so others are accepted too; these are
 * only the ones a misspelling is checked against.
 */
export const KNOWN_TOP_KEYS: ReadonlySet<string> = new Set([
  ...HONOURED_TOP_KEYS,
  ...PROVISIONING_TOP_KEYS,
  'architecture',
  'cluster_tag',
  'keyring_backend',
  'vault_name',
  'compliance',
  'use_ssh_agent',
  'forward_ssh_agent',
  'ansible_tower',
]);

/** The keys an instance on `platform` may carry (unknown platforms: the common keys only). */
export function validInstanceKeys(platform: string): ReadonlySet<string> {
  return new Set<string>([...COMMON_INSTANCE_KEYS, ...(PLATFORM_INSTANCE_KEYS[platform] ?? [])]);
}

/** Platforms that accept `key`, for hints such as "type is an aws key". */
export function platformsAccepting(key: string): string[] {
  return KNOWN_PLATFORMS.filter((p) => PLATFORM_INSTANCE_KEYS[p]?.includes(key));
}

/** Keys TPA requires on every aws instance (platforms/aws/validate.yml). */
const AWS_REQUIRED_KEYS = ['type', 'region', 'subnet'];

/**
 * The platform of an instance that sets none, given its merged keys. TPA's default is
 * aws, but an aws instance must have a type, region and subnet: an instance with none of
 * them could never be provisioned on aws, so it is read as bare (what every hand-written
 * config without `platform:` means), and `inventory` says so.
 */
export function inferPlatform(keys: ReadonlySet<string>): { platform: string; reason: string } {
  if (AWS_REQUIRED_KEYS.some((k) => keys.has(k))) return { platform: TPA_DEFAULT_PLATFORM, reason: "platform is not set; TPA's default is aws" };
  return { platform: 'bare', reason: "platform is not set; read as bare, because TPA's default (aws) needs type, region and subnet, and the instance has none" };
}

/**
 * First comment line of every file we own wholesale. ASCII on purpose: Barman opens its
 * configuration with the locale's encoding, and a decode error would stop it.
 */
export const MANAGED_BY = 'Managed by tpa-barman -- local changes will be overwritten';

export { barmanConf, globalCompression, DETECTED_COMPRESSIONS } from './barman-conf.js';
export { barmanHomeOk } from './barman-home-ok.js';
export { BARMAN_HOME_OK, globalCronFile, serverCronFile } from './cron.js';
export { MANAGED_BY } from './managed.js';
export { hbaAddress, pgHbaLines, type HbaConnectionType } from './pg-hba.js';
export { serverConf, TPA_BARMAN_DEFAULTS, type InheritedSettings } from './server-conf.js';
export { TemplateError } from './values.js';

// How Barman reads its INI files back: the product's reader (src/util/ini-read.ts), for
// tests that check what src/util/ini.ts writes.
export { IniParseError, barmanValue, parseBarmanBoolean, parseIni, type IniDocument } from '../../src/util/ini-read.js';

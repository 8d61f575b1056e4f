/**
 * Importing history: the generic event format (JSON Lines or CSV) and the
 * adapters for public data sets, all pure transforms from file text (whole,
 * or in chunks as it is read) to events, leads and rejections with their
 * line. Storage is the caller's.
 */
export { checkRecord, collect, historyOf, leadEvents, readEventCsv, readJsonLines, sortByTime } from './format';
export type { CsvFormat, ImportResult, ImportRow, ImportedLead, RecordOptions, Rejection } from './format';
export { readXEducation, xEducationFormat, X_EDUCATION_ACTIVITIES, X_EDUCATION_TIMELINE } from './x-education';
export { readBankMarketing, bankMarketingFormat, BANK_MARKETING_TIMELINE } from './bank-marketing';
export { readImportStream, oversizedLine, type StreamFormat } from './stream';
import { readBankMarketing } from './bank-marketing';
import { readXEducation } from './x-education';

/** Data-set adapters by their `--format` name. */
export const DATA_SET_ADAPTERS = {
  'x-education': readXEducation,
  'bank-marketing': readBankMarketing,
} as const;
export type DataSetFormat = keyof typeof DATA_SET_ADAPTERS;

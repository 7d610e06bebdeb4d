/** What a recording's file extension may be: it ends up in a path FreeSWITCH writes and in an object key. */
export const FILE_EXTENSION = /^[a-z0-9]{1,8}$/i;

export function isFileExtension(ext: string): boolean {
  return FILE_EXTENSION.test(ext);
}

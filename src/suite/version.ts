/** Suite version recorded in every results document; bump when a kernel or formula changes figures. */
export const SUITE_VERSION = '0.1.0';

/** @internal Whether an option was given a value (`''` from an unset variable counts as none). */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** @internal Whether a value is an options object (not an array). */
export function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

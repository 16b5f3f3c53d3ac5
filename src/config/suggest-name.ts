/** The closest known name, for "did you mean …?" hints; undefined when nothing is close. */
export function suggestName(input: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(2, Math.floor(input.length / 3));
  if (bestDistance <= allowed) return best;
  // A part of the name (stageChange for candidateStageChange): suggested when only one name has it.
  const needle = input.toLowerCase();
  const containing = needle.length < 4 ? [] : known.filter((name) => name.toLowerCase().includes(needle));
  return containing.length === 1 ? containing[0] : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** What a tenant id must look like (schemas/tenant.schema.json says the same, `tenant`). */
export const tenantIdPattern = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** The schema's `maxLength` of a tenant id: it becomes part of URLs and of secrets' names. */
export const tenantIdMaxLength = 63;

/** Whether `id` can be a tenant id: the schema's pattern and length. */
export function isTenantId(id: string): boolean {
  return id.length <= tenantIdMaxLength && tenantIdPattern.test(id);
}

/** A valid tenant id close to `name` (Zeta -> zeta, Big_Co -> big-co); undefined when none can be made. */
export function suggestTenantId(name: string): string | undefined {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, tenantIdMaxLength)
    .replace(/-+$/, '');
  return isTenantId(id) ? id : undefined;
}

/**
 * The hint for a `tenant:` that does not match its file name: only ever proposes valid ids, so it
 * never says "write tenant: Zeta" a line below calling Zeta invalid.
 */
export function tenantMismatchHint(written: string, fromFile: string, suffix: string): string {
  const writtenOk = tenantIdPattern.test(written);
  if (tenantIdPattern.test(fromFile)) {
    return writtenOk
      ? `write tenant: ${fromFile}, or rename the file to ${written}${suffix}`
      : `write tenant: ${fromFile}`;
  }
  const id = writtenOk ? written : suggestTenantId(fromFile);
  return id === undefined
    ? 'name the file <tenant id>' +
        suffix +
        ', the id in lower-case letters and digits joined by single dashes (big-co)'
    : `rename the file to ${id}${suffix}${id === written ? '' : ` and write tenant: ${id}`} (a tenant id is lower-case letters and digits joined by single dashes)`;
}

import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../../src/cli/main.js';
import { captureIo } from '../../support/capture-io.js';
import { repoRoot } from '../../support/load-shipped-tenant.js';

// docs/recipes.md is what account managers copy from: each recipe's tenant file is validated and its
// test cases run, as written, through the CLI and the real loader, so a recipe that stops validating
// (a schema or pack change) or stops doing what it says fails CI.
const recipesDoc = readFileSync(join(repoRoot, 'docs/recipes.md'), 'utf8');

interface Recipe {
  title: string;
  tenant: { id: string; yaml: string } | null;
  fixture: string | null;
  blocks: number;
}

/** Each `## ` section with its yaml blocks: the tenant file (has `triggers`) and the fixture (`cases`). */
function recipes(): Recipe[] {
  return recipesDoc
    .split(/^## /m)
    .slice(1)
    .map((section) => {
      const title = section.slice(0, section.indexOf('\n'));
      const blocks = [...section.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
      const recipe: Recipe = { title, tenant: null, fixture: null, blocks: blocks.length };
      for (const yaml of blocks) {
        const doc = parse(yaml) as { tenant?: string; triggers?: unknown; cases?: unknown };
        if (doc.triggers !== undefined && doc.tenant) recipe.tenant = { id: doc.tenant, yaml };
        else if (doc.cases !== undefined) recipe.fixture = yaml;
        else throw new Error(`a yaml block in "${title}" is neither a tenant file nor test cases`);
      }
      return recipe;
    });
}

/** The shipped rules in a temp dir, with an empty tenants/, to write a recipe's files into. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-recipes-'));
  cpSync(join(repoRoot, 'rules'), join(dir, 'rules'), { recursive: true });
  mkdirSync(join(dir, 'tenants'));
  return dir;
}

const all = recipes();

describe('docs/recipes.md', () => {
  it('has a recipe for each common case, each with a tenant file', () => {
    expect(all.map((r) => r.title)).toEqual([
      'One test for every stage',
      'A test per posting',
      'Advance on pass',
      'Archive on fail',
      'Rotating an API key or a signature token',
      'Resend after 30 days',
    ]);
    for (const recipe of all) expect(recipe.tenant, recipe.title).not.toBeNull();
    expect(new Set(all.map((r) => r.tenant?.id)).size).toBe(all.length);
  });

  it.each(all.map((r) => [r.title, r] as const))('%s: the tenant file validates', async (_, recipe) => {
    if (!recipe.tenant) throw new Error('no tenant file');
    const dir = workspace();
    const file = `tenants/${recipe.tenant.id}.yaml`;
    writeFileSync(join(dir, file), recipe.tenant.yaml);
    const io = captureIo({ cwd: dir });
    const code = await runCli(['validate', file, '--json'], io);
    const diagnostics = (
      JSON.parse(io.out()) as { files: Array<{ diagnostics: Array<{ severity: string }> }> }
    ).files;
    expect(io.err()).toBe('');
    expect(code, io.out()).toBe(0);
    const errors = diagnostics.flatMap((f) => f.diagnostics).filter((d) => d.severity === 'error');
    expect(errors).toEqual([]);
  });

  it.each(all.filter((r) => r.fixture).map((r) => [r.title, r] as const))(
    '%s: its test cases pass against it',
    async (_, recipe) => {
      if (!recipe.tenant || !recipe.fixture) throw new Error('no tenant file or test cases');
      const dir = workspace();
      writeFileSync(join(dir, `tenants/${recipe.tenant.id}.yaml`), recipe.tenant.yaml);
      writeFileSync(join(dir, `tenants/${recipe.tenant.id}.test.yaml`), recipe.fixture);
      const io = captureIo({ cwd: dir });
      const code = await runCli(['test', `tenants/${recipe.tenant.id}.test.yaml`], io);
      expect(io.err()).toBe('');
      expect(code, io.out()).toBe(0);
      const cases = (parse(recipe.fixture) as { cases: unknown[] }).cases.length;
      expect(io.out()).toContain(`${cases} passed, 0 failed`);
    },
  );

  it('a recipe that does not validate is caught (the check can fail)', async () => {
    const recipe = all.find((r) => r.title === 'Advance on pass');
    if (!recipe?.tenant) throw new Error('no advance-on-pass recipe');
    const dir = workspace();
    const file = `tenants/${recipe.tenant.id}.yaml`;
    writeFileSync(join(dir, file), recipe.tenant.yaml.replace('stageOnPass:', 'stageOnPas:'));
    const io = captureIo({ cwd: dir });
    expect(await runCli(['validate', file], io)).toBe(2);
    expect(io.out() + io.err()).toContain('stageOnPass');
  });
});

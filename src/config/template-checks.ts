/**
 * What the configuration asks of an operator's template beyond being safe and compiling (which
 * schema.ts checks itself with src/templates/): that it renders with sample values, a 4 KB hostile caller
 * ID among them. That needs naming's variables and object keys, and naming sits above config: so the
 * checks are handed in by whoever loads the configuration for the daemon or a command (src/naming/
 * template-check.ts has them; src/cli/ and src/demo/ pass them), and run at the template's own key, so a
 * template that cannot render is a file:line:column error at check-config and at every (re)load.
 */

export interface TemplateRenderChecks {
  /** Why a file-name template (filename_template or on_demand_filename_template) does not render, or undefined. */
  filename(source: string, kind: 'call' | 'on-demand', spoolDir: string, allowedDirs: readonly string[]): string | undefined;
  /** Why storage.key_template does not render to a usable key, or undefined. */
  objectKey(source: string): string | undefined;
}

/** Safety and syntax only: for loads that render nothing (tests of other parts, benchmarks). */
export const NO_RENDER_CHECKS: TemplateRenderChecks = {
  filename: () => undefined,
  objectKey: () => undefined,
};

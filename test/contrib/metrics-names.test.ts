/**
 * The Grafana dashboard and the Prometheus alert rules in contrib/ name only metrics the daemon exports, and
 * only labels those metrics carry. The daemon's metrics are read from its source with the TypeScript
 * syntax tree (every metrics.inc/set/setCounter call with a literal fsrecd_* name and its label object), not
 * from a running daemon's /metrics: a counter appears there only once something has counted, so a scrape
 * of a fresh daemon would miss most of them.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(['instance', 'job']);
/** Suffixes of the series a histogram or summary makes from one name. */
const SERIES_SUFFIXES = ['_bucket', '_sum', '_count'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Metric name -> the label names the daemon gives it, from every metrics.inc/set/setCounter call in src/. */
function exportedMetrics(files: string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  // inc(name, help, labels?, by?), set(name, help, value, labels?), setCounter(name, help, value)
  const labelArg: Record<string, number | undefined> = { inc: 2, set: 3, setCounter: undefined };
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text in labelArg) {
        const [first] = node.arguments;
        if (first && ts.isStringLiteralLike(first) && first.text.startsWith('fsrecd_')) {
          const labels = out.get(first.text) ?? new Set<string>();
          const at = labelArg[node.expression.name.text];
          const arg = at === undefined ? undefined : node.arguments[at];
          if (arg && ts.isObjectLiteralExpression(arg)) {
            for (const p of arg.properties) if (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) labels.add(p.name.text);
          }
          out.set(first.text, labels);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

/** Every problem with the metric names and selector labels in these PromQL expressions. */
function problemsIn(exprs: string[], exported: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  const known = (name: string): string | undefined => {
    if (exported.has(name)) return name;
    const suffix = SERIES_SUFFIXES.find((s) => name.endsWith(s));
    return suffix && exported.has(name.slice(0, -suffix.length)) ? name.slice(0, -suffix.length) : undefined;
  };
  for (const expr of exprs) {
    for (const [name] of expr.matchAll(/\bfsrecd_[a-z0-9_]+/g)) {
      if (!known(name)) problems.push(`${name} is not a metric the daemon exports (in: ${expr.replace(/\s+/g, ' ').trim()})`);
    }
    for (const [, name, matchers] of expr.matchAll(/\b(fsrecd_[a-z0-9_]+)\{([^}]*)\}/g)) {
      const base = known(name as string);
      if (!base) continue;
      for (const [, label] of (matchers as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
        if (!TARGET_LABELS.has(label as string) && !exported.get(base)?.has(label as string)) problems.push(`${name} has no label ${label} (in: ${expr.replace(/\s+/g, ' ').trim()})`);
      }
    }
  }
  return problems;
}

interface Panel {
  id?: number;
  type?: string;
  gridPos?: unknown;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

function panelsOf(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
}

const exported = exportedMetrics(sourceFiles(join(ROOT, 'src')));
const dashboard = JSON.parse(readFileSync(join(ROOT, 'contrib', 'grafana', 'fsrecd.json'), 'utf8')) as { panels: Panel[]; templating: { list: Array<{ query?: unknown; definition?: string }> } };
const dashboardExprs = [
  ...panelsOf(dashboard.panels).flatMap((p) => (p.targets ?? []).map((x) => x.expr ?? '')),
  ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : [])),
];
const rules = (parse(readFileSync(join(ROOT, 'contrib', 'prometheus', 'fsrecd-alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<Record<string, unknown>> }> }).groups.flatMap((g) => g.rules);
const alertExprs = rules.map((r) => String(r.expr));

t.test('the daemon\'s metrics are found in its source, with their labels', async (t) => {
  t.same([...(exported.get('fsrecd_esl_connected') ?? ['missing'])], [], 'a gauge without labels');
  t.same([...(exported.get('fsrecd_uploads_total') ?? [])], ['result'], 'a counter and its label');
  t.ok(exported.has('fsrecd_esl_events_total'), 'a counter set from a total kept elsewhere (setCounter)');
  t.ok(exported.size >= 25, `every metric: ${exported.size} found`);
});

t.test('the checker catches an unknown name, an unknown label, and takes histogram series', async (t) => {
  const fake = new Map([['fsrecd_x_seconds', new Set(['kind'])], ...exported]);
  t.match(problemsIn(['rate(fsrecd_no_such_metric[5m])'], exported), [/fsrecd_no_such_metric is not a metric/]);
  t.match(problemsIn(['fsrecd_uploads_total{outcome="ok"}'], exported), [/fsrecd_uploads_total has no label outcome/]);
  t.same(problemsIn(['fsrecd_uploads_total{instance=~"a", result!="ok"}'], exported), [], 'target labels and the metric\'s own');
  t.same(problemsIn(['histogram_quantile(0.99, sum by (le) (rate(fsrecd_x_seconds_bucket{kind="a"}[5m])))', 'fsrecd_x_seconds_sum / fsrecd_x_seconds_count'], fake), []);
});

t.test('every metric and label the Grafana dashboard names exists in the daemon', async (t) => {
  t.ok(dashboardExprs.length >= 20, `${dashboardExprs.length} queries`);
  t.same(problemsIn(dashboardExprs, exported), []);
  const named = dashboardExprs.join('\n');
  for (const m of ['fsrecd_esl_connected', 'fsrecd_calls_live', 'fsrecd_recordings_started_total', 'fsrecd_backlog_files', 'fsrecd_backlog_oldest_seconds', 'fsrecd_uploads_total', 'fsrecd_disk_used_ratio', 'fsrecd_recordings_discarded_total', 'fsrecd_event_errors_total', 'fsrecd_journal_write_failures_total']) {
    t.ok(named.includes(m), `the dashboard shows ${m}`);
  }
  const panels = panelsOf(dashboard.panels);
  t.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
  t.ok(panels.every((p) => p.gridPos), 'every panel is placed');
});

t.test('every metric and label the alert rules name exists in the daemon; each rule is complete', async (t) => {
  t.same(problemsIn(alertExprs, exported), []);
  for (const r of rules) {
    const labels = r.labels as { severity?: string } | undefined;
    const annotations = r.annotations as { summary?: string } | undefined;
    t.ok(typeof r.alert === 'string' && typeof r.expr === 'string' && ['warning', 'critical'].includes(labels?.severity ?? '') && annotations?.summary, `${String(r.alert)}: name, expr, severity, summary`);
  }
  const byMetric = (m: string): string[] => rules.filter((r) => String(r.expr).includes(m)).map((r) => String(r.alert));
  for (const m of ['fsrecd_esl_connected', 'fsrecd_backlog_files', 'fsrecd_uploads_total', 'fsrecd_disk_used_ratio', 'fsrecd_recordings_discarded_total']) {
    t.not(byMetric(m).length, 0, `an alert watches ${m}: ${byMetric(m).join(', ')}`);
  }
});

/**
 * The architecture's dependency rules (../shared/design/architecture.md §2), checked by `npm test`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const ADAPTERS = '^src/(transport|queue|executors|local-space)/';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'No cycles anywhere.', from: {}, to: { circular: true } },
    {
      name: 'core-is-self-contained',
      severity: 'error',
      comment: 'src/core is the vocabulary: it imports no other project file.',
      from: { path: '^src/core/' },
      to: { path: '^(src|commands|cards|test)/', pathNot: '^src/core/' },
    },
    {
      name: 'pure-rooms-import-only-core',
      severity: 'error',
      comment: 'commands/, cards/ and src/analyzers/ import only src/core (and each other within their room).',
      from: { path: '^(commands|cards|src/analyzers)/' },
      to: { path: '^(src/(app|runbooks|executors|transport|queue|local-space|cli)|src/[^/]+\\.ts$)' },
    },
    {
      name: 'cards-and-commands-use-core-types',
      severity: 'error',
      comment: 'Cards and commands read the typed results in src/core, not the analyzers that produce them.',
      from: { path: '^(commands|cards)/' },
      to: { path: '^src/analyzers/' },
    },
    {
      name: 'pure-rooms-no-io',
      severity: 'error',
      comment: 'commands/ and cards/ do no I/O.',
      from: { path: '^(commands|cards)/' },
      to: { dependencyTypes: ['core'], path: '^(fs|node:fs|fs/promises|node:fs/promises|net|node:net|http|node:http|https|node:https|child_process|node:child_process)$' },
    },
    {
      name: 'app-talks-through-ports',
      severity: 'error',
      comment: 'src/app imports core, commands, cards and runbooks; the world comes in as ports.',
      from: { path: '^src/app/' },
      to: { path: `${ADAPTERS}|^src/(main|cli|config)\\.ts$` },
    },
    {
      name: 'adapters-stay-apart',
      severity: 'error',
      comment: 'Adapters import core and their own packages, never each other or app.',
      from: { path: ADAPTERS },
      to: { path: '^src/(app|runbooks|transport|queue|executors|local-space)/|^(commands|cards)/', pathNot: '^src/$1/' },
    },
    {
      name: 'runbooks-use-ports',
      severity: 'error',
      comment: 'Runbooks import core, analyzers and executor ports, never adapters.',
      from: { path: '^src/runbooks/' },
      to: { path: `${ADAPTERS}|^src/app/` },
    },
    {
      name: 'no-test-imports',
      severity: 'error',
      comment: 'Nothing under src, commands, cards imports test/.',
      from: { path: '^(src|commands|cards)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};

// Every sentence the extension shows, in one place (the server's own words come from
// vjepa_core/messages.py and are shown as they arrive).

export const MESSAGES = {
    noServer: 'VJEPA is not running. Run "VJEPA: Restart Server", or see the VJEPA output for why.',
    noEditor: 'Open a file first: VJEPA finds the files related to the one you are in.',
    nothingRelated: 'Nothing related yet. VJEPA may still be learning this folder.',
    nothingNext: 'No prediction yet. VJEPA learns your next files as you work.',
    nothingFound: (query: string) => `Nothing found for "${query}".`,
    searchPrompt: 'Search your workspace by meaning (e.g. "where do we parse the config")',
    searchPlaceholder: 'What are you looking for?',
    pickRelated: 'Files related to this one (Enter opens)',
    pickNext: 'Files you will likely open next (Enter opens)',
    pickSearch: (query: string) => `Results for "${query}" (Enter jumps there)`,
    restarted: 'VJEPA restarted.',
    noFolder: 'Open a folder first: VJEPA shows the graph and insights of a workspace folder.',
    noGraphFile: 'VJEPA: the server did not say where it wrote the graph.',
    cannotRead: (path: string, why: string) => `VJEPA: cannot read ${path}: ${why}`,
    graphTitle: (folder: string) => `VJEPA graph: ${folder}`,
    graphOutside: (path: string) => `VJEPA: ${path} is outside this workspace folder, so the graph will not open it.`,
    insightsNone: 'The server sent no insights.',
    insightsNoSummary: 'Not enough indexed yet to say what this project is about.',
    insightsNoPatterns: 'No clear habits yet: VJEPA needs at least 4 work sessions that agree.',
    insightsNoSuggestions: 'Nothing to suggest: the files that change together already live together.',
    insightsFrom: (counts: string) => `From ${counts}; nothing left this machine and nothing was moved.`,
    failed: (what: string, why: string) => `VJEPA: ${what} failed: ${why}`,
    cannotOpen: (path: string) => `VJEPA: ${path} is not inside an open workspace folder.`,
    badSetting: (key: string, value: unknown, expected: string, fallback: unknown) =>
        `vjepa.${key} should be ${expected}, not ${JSON.stringify(value)}; using ${JSON.stringify(fallback)}.`,
};

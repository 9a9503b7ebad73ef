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
    failed: (what: string, why: string) => `VJEPA: ${what} failed: ${why}`,
    cannotOpen: (path: string) => `VJEPA: ${path} is not inside an open workspace folder.`,
    badSetting: (key: string, value: unknown, expected: string, fallback: unknown) =>
        `vjepa.${key} should be ${expected}, not ${JSON.stringify(value)}; using ${JSON.stringify(fallback)}.`,
};

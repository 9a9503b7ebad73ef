// The extension's settings (the `vjepa.*` namespace), checked, and mapped to the server's
// initializationOptions. No `vscode` import: unit tests run under plain node.

import { MESSAGES } from './messages';

export interface Settings {
    path: string[];
    interpreter: string[];
    trustWorkspace: boolean;
    kindMessages: boolean;
    idleMinutes: number;
    indexDir: string;
    workers: number;
}

export const DEFAULTS: Settings = {
    path: [],
    interpreter: [],
    trustWorkspace: false,
    kindMessages: true,
    idleMinutes: 2,
    indexDir: '',
    workers: 0,
};

/** What the server reads from initializationOptions (server/options.py). */
export interface InitializationOptions {
    trustWorkspace: boolean;
    kindMessages: boolean;
    idleMinutes: number;
    indexDir?: string;
    workers?: number;
}

const isStringList = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((s) => typeof s === 'string' && s.trim() !== '');

/**
 * Reads every setting through `get` (e.g. `workspace.getConfiguration('vjepa').get`); a value of the
 * wrong type falls back to its default and is reported in `problems`, never thrown.
 */
export function readSettings(get: (key: keyof Settings) => unknown): { settings: Settings; problems: string[] } {
    const problems: string[] = [];
    const pick = <K extends keyof Settings>(key: K, ok: (v: unknown) => boolean, expected: string): Settings[K] => {
        const value = get(key);
        if (value === undefined || value === null) {
            return DEFAULTS[key];
        }
        if (!ok(value)) {
            problems.push(MESSAGES.badSetting(key, value, expected, DEFAULTS[key]));
            return DEFAULTS[key];
        }
        return value as Settings[K];
    };
    const settings: Settings = {
        path: pick('path', isStringList, 'a list of non-empty strings'),
        interpreter: pick('interpreter', isStringList, 'a list of non-empty strings'),
        trustWorkspace: pick('trustWorkspace', (v) => typeof v === 'boolean', 'true or false'),
        kindMessages: pick('kindMessages', (v) => typeof v === 'boolean', 'true or false'),
        idleMinutes: pick('idleMinutes', (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a number of minutes above 0'),
        indexDir: pick('indexDir', (v) => typeof v === 'string', 'a folder path'),
        workers: pick('workers', (v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number, 0 or more'),
    };
    return { settings, problems };
}

/** `~` and `${workspaceFolder}` expanded; an empty string stays empty. */
export function expandPath(value: string, env: { home: string; workspaceFolder?: string }): string {
    let out = value.trim();
    if (out === '~' || out.startsWith('~/')) {
        out = env.home + out.slice(1);
    }
    if (env.workspaceFolder !== undefined) {
        out = out.split('${workspaceFolder}').join(env.workspaceFolder);
    }
    return out;
}

/**
 * The initializationOptions for `settings`. `trustWorkspace` only counts in a workspace VS Code trusts:
 * otherwise the server asks before reading each folder.
 */
export function toInitializationOptions(
    settings: Settings,
    env: { home: string; workspaceFolder?: string; workspaceTrusted: boolean },
): InitializationOptions {
    const options: InitializationOptions = {
        trustWorkspace: settings.trustWorkspace && env.workspaceTrusted,
        kindMessages: settings.kindMessages,
        idleMinutes: settings.idleMinutes,
    };
    const indexDir = expandPath(settings.indexDir, env);
    if (indexDir !== '') {
        options.indexDir = indexDir;
    }
    if (settings.workers > 0) {
        options.workers = settings.workers;
    }
    return options;
}

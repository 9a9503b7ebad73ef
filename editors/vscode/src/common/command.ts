// Which command starts the server. No `vscode` import.

export interface ServerCommand {
    command: string;
    args: string[];
}

/** The module `python -m` runs: the `vjepa-lsp` console script's entry point (pyproject.toml). */
export const SERVER_MODULE = 'server.main';
export const DEFAULT_COMMAND = 'vjepa-lsp';

/**
 * `vjepa.path` wins (the command and its arguments as given), then `vjepa.interpreter`
 * (`<python> -m server.main`), then `vjepa-lsp` found on PATH.
 */
export function resolveServerCommand(settings: { path: string[]; interpreter: string[] }): ServerCommand {
    if (settings.path.length > 0) {
        return { command: settings.path[0], args: settings.path.slice(1) };
    }
    if (settings.interpreter.length > 0) {
        return { command: settings.interpreter[0], args: [...settings.interpreter.slice(1), '-m', SERVER_MODULE] };
    }
    return { command: DEFAULT_COMMAND, args: [] };
}

/** How the command reads in the log, quoted where needed. */
export function describeCommand(cmd: ServerCommand): string {
    return [cmd.command, ...cmd.args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

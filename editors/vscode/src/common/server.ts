// Starts and stops the language client for `vjepa-lsp`.

import * as os from 'os';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, State } from 'vscode-languageclient/node';
import { describeCommand, resolveServerCommand } from './command';
import { readSettings, toInitializationOptions } from './settings';

export const NAMESPACE = 'vjepa';

export function currentSettings(output: vscode.LogOutputChannel) {
    const config = vscode.workspace.getConfiguration(NAMESPACE);
    const { settings, problems } = readSettings((key) => config.get(key));
    for (const problem of problems) {
        output.warn(problem);
        void vscode.window.showWarningMessage(problem);
    }
    return settings;
}

export async function startServer(
    output: vscode.LogOutputChannel,
    onStatus: (status: unknown) => void,
): Promise<LanguageClient> {
    const settings = currentSettings(output);
    const cmd = resolveServerCommand(settings);
    const folder = vscode.workspace.workspaceFolders?.[0];
    const initializationOptions = toInitializationOptions(settings, {
        home: os.homedir(),
        workspaceFolder: folder?.uri.fsPath,
        workspaceTrusted: vscode.workspace.isTrusted,
    });
    output.info(`Starting ${describeCommand(cmd)} with ${JSON.stringify(initializationOptions)}`);
    const serverOptions: ServerOptions = {
        command: cmd.command,
        args: cmd.args,
        options: { cwd: folder?.uri.fsPath, env: process.env },
    };
    const clientOptions: LanguageClientOptions = {
        // Every file on disk: the server decides what it knows (its lenses are empty elsewhere).
        documentSelector: [{ scheme: 'file' }],
        outputChannel: output,
        traceOutputChannel: output,
        initializationOptions,
    };
    const client = new LanguageClient(NAMESPACE, 'VJEPA Swarm', serverOptions, clientOptions);
    client.onNotification('vjepa/status', onStatus);
    client.onDidChangeState((e) => {
        if (e.newState === State.Stopped) {
            onStatus(undefined);
        }
    });
    await client.start();
    return client;
}

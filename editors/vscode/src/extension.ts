// VJEPA Swarm for VS Code: a thin client. It starts `vjepa-lsp`, shows the server's code lenses
// (clicking one runs the server's `vjepa.open`), adds the palette commands and a status bar item fed
// by `vjepa/status`. Every answer comes from the server.

import * as fs from 'fs';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';
import { describeStatus, describeTraining, PickItem, resolveResultPath, statusBar, toPickItems } from './common/format';
import { MESSAGES } from './common/messages';
import { NAMESPACE, startServer } from './common/server';

let client: LanguageClient | undefined;
let statusItem: vscode.StatusBarItem;
let output: vscode.LogOutputChannel;

function showStatus(status: unknown): void {
    const { text, tooltip } = statusBar(status);
    statusItem.text = text;
    statusItem.tooltip = tooltip;
}

async function start(): Promise<void> {
    try {
        client = await startServer(output, showStatus);
        const status = await serverCommand('vjepa.status');
        if (status !== undefined) {
            showStatus(status);
        }
    } catch (err) {
        client = undefined;
        output.error(`${err}`);
        void vscode.window.showErrorMessage(MESSAGES.failed('starting the server', `${err}`));
    }
}

async function stop(): Promise<void> {
    const running = client;
    client = undefined;
    if (running) {
        await running.stop();
    }
    showStatus(undefined);
}

/** Runs a command the server declares; errors are said once and give `undefined`. */
async function serverCommand(command: string, ...args: unknown[]): Promise<unknown> {
    if (!client) {
        void vscode.window.showWarningMessage(MESSAGES.noServer);
        return undefined;
    }
    try {
        return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    } catch (err) {
        const why = err instanceof Error ? err.message : `${err}`;
        output.error(`${command}: ${why}`);
        void vscode.window.showErrorMessage(MESSAGES.failed(command, why));
        return undefined;
    }
}

async function openItem(item: PickItem): Promise<void> {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const path = resolveResultPath(item.path, roots, (p) => fs.existsSync(p));
    if (!path) {
        void vscode.window.showWarningMessage(MESSAGES.cannotOpen(item.path));
        return;
    }
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(path));
    if (item.line) {
        const at = new vscode.Position(item.line - 1, 0);
        editor.selection = new vscode.Selection(at, at);
        editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
}

async function pickAndOpen(result: unknown, placeHolder: string, empty: string): Promise<void> {
    if (result === undefined) {
        return;
    }
    const items = toPickItems(result);
    if (items.length === 0) {
        void vscode.window.showInformationMessage(empty);
        return;
    }
    const chosen = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true });
    if (chosen) {
        await openItem(chosen);
    }
}

function activeUri(): string | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    return uri?.scheme === 'file' ? uri.toString() : undefined;
}

const commands: Record<string, () => Promise<void>> = {
    async showRelated() {
        const uri = activeUri();
        if (!uri) {
            void vscode.window.showInformationMessage(MESSAGES.noEditor);
            return;
        }
        await pickAndOpen(await serverCommand('vjepa.relatedFiles', uri), MESSAGES.pickRelated, MESSAGES.nothingRelated);
    },
    async showNext() {
        const uri = activeUri();
        const result = await serverCommand('vjepa.predictNext', ...(uri ? [uri] : []));
        await pickAndOpen(result, MESSAGES.pickNext, MESSAGES.nothingNext);
    },
    async semanticSearch() {
        const query = await vscode.window.showInputBox({ prompt: MESSAGES.searchPrompt, placeHolder: MESSAGES.searchPlaceholder });
        if (!query?.trim()) {
            return;
        }
        await pickAndOpen(await serverCommand('vjepa.search', query), MESSAGES.pickSearch(query), MESSAGES.nothingFound(query));
    },
    async train() {
        // The server reports the training's progress itself ($/progress).
        const result = await serverCommand('vjepa.trainNow');
        if (result !== undefined) {
            void vscode.window.showInformationMessage(describeTraining(result));
        }
    },
    async showStatus() {
        const status = await serverCommand('vjepa.status');
        if (status !== undefined) {
            showStatus(status);
            output.info(describeStatus(status));
            void vscode.window.showInformationMessage(describeStatus(status).split('\n')[0]);
        }
    },
    async restart() {
        await stop();
        await start();
        if (client) {
            void vscode.window.showInformationMessage(MESSAGES.restarted);
        }
    },
};

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    output = vscode.window.createOutputChannel('VJEPA', { log: true });
    statusItem = vscode.window.createStatusBarItem(`${NAMESPACE}.status`, vscode.StatusBarAlignment.Left, 0);
    statusItem.name = 'VJEPA Swarm';
    statusItem.command = `${NAMESPACE}.showStatus`;
    showStatus(undefined);
    statusItem.show();
    context.subscriptions.push(output, statusItem);
    for (const [name, run] of Object.entries(commands)) {
        context.subscriptions.push(vscode.commands.registerCommand(`${NAMESPACE}.${name}`, run));
    }
    context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (e) => {
        if (e.affectsConfiguration(NAMESPACE) && !e.affectsConfiguration(`${NAMESPACE}.trace`)) {
            await commands.restart();
        }
    }));
    await start();
}

export async function deactivate(): Promise<void> {
    await stop();
}

// VJEPA Swarm for VS Code: a thin client. It starts `vjepa-lsp`, shows the server's code lenses
// (clicking one runs the server's `vjepa.open`), adds the palette commands and a status bar item fed
// by `vjepa/status`, and shows the server's knowledge graph (a webview) and insights (a Markdown
// preview). Every answer comes from the server.

import * as crypto from 'crypto';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';
import { describeStatus, describeTraining, PickItem, resolveResultPath, statusBar, toPickItems } from './common/format';
import { graphFile, realpathOrSelf, resolveOpenRequest, webviewHtml } from './common/graph';
import { insightsMarkdown } from './common/insights';
import { MESSAGES } from './common/messages';
import { NAMESPACE, startServer } from './common/server';

let client: LanguageClient | undefined;
let statusItem: vscode.StatusBarItem;
let output: vscode.LogOutputChannel;
let storage: vscode.Uri;
const graphPanels = new Map<string, vscode.WebviewPanel>();

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

/** The folder of the active editor, else the only (or a chosen) workspace folder. */
async function activeFolder(): Promise<vscode.WorkspaceFolder | undefined> {
    const editor = vscode.window.activeTextEditor?.document.uri;
    const folder = (editor && vscode.workspace.getWorkspaceFolder(editor))
        ?? (vscode.workspace.workspaceFolders?.length === 1 ? vscode.workspace.workspaceFolders[0] : await vscode.window.showWorkspaceFolderPick());
    if (!folder) {
        void vscode.window.showInformationMessage(MESSAGES.noFolder);
    }
    return folder;
}

/** The page asks to open a file: only files inside its folder are opened. */
async function openFromGraph(folder: vscode.WorkspaceFolder, message: unknown): Promise<void> {
    const request = resolveOpenRequest(message, folder.uri.fsPath, realpathOrSelf);
    if (request.ok) {
        await vscode.window.showTextDocument(vscode.Uri.file(request.path), { viewColumn: vscode.ViewColumn.Beside });
    } else if (request.reason === 'outside') {
        output.warn(`graph: refused to open ${request.path}`);
        void vscode.window.showWarningMessage(MESSAGES.graphOutside(request.path ?? ''));
    }
}

function graphPanel(folder: vscode.WorkspaceFolder): vscode.WebviewPanel {
    const key = folder.uri.toString();
    const known = graphPanels.get(key);
    if (known) {
        known.reveal();
        return known;
    }
    // The page is self-contained (data, CSS and script inlined): it needs no local resources.
    const panel = vscode.window.createWebviewPanel('vjepa.graph', MESSAGES.graphTitle(folder.name), vscode.ViewColumn.Active,
        { enableScripts: true, localResourceRoots: [], retainContextWhenHidden: true });
    panel.webview.onDidReceiveMessage((message) => openFromGraph(folder, message));
    panel.onDidDispose(() => graphPanels.delete(key));
    graphPanels.set(key, panel);
    return panel;
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
    async showGraph() {
        const folder = await activeFolder();
        if (!folder) {
            return;
        }
        // {open: false}: the page is shown here, not also in the browser (window/showDocument external).
        const result = await serverCommand('vjepa.graph', folder.uri.toString(), { open: false });
        if (result === undefined) {
            return;
        }
        const file = graphFile(result);
        if (!file) {
            void vscode.window.showErrorMessage(MESSAGES.noGraphFile);
            return;
        }
        let page: string;
        try {
            page = await fs.promises.readFile(file, 'utf8');
        } catch (err) {
            void vscode.window.showErrorMessage(MESSAGES.cannotRead(file, err instanceof Error ? err.message : `${err}`));
            return;
        }
        graphPanel(folder).webview.html = webviewHtml(page, crypto.randomBytes(18).toString('base64'));
    },
    async showInsights() {
        const folder = await activeFolder();
        if (!folder) {
            return;
        }
        const result = await serverCommand('vjepa.insights', folder.uri.toString());
        if (result === undefined) {
            return;
        }
        // A file in the extension's storage, not an untitled editor: the preview stays, nothing asks to be saved.
        const page = vscode.Uri.joinPath(storage, `insights-${folder.name.replace(/[^\w.-]+/g, '_')}.md`);
        try {
            await vscode.workspace.fs.createDirectory(storage);
            await vscode.workspace.fs.writeFile(page, Buffer.from(insightsMarkdown(result), 'utf8'));
        } catch (err) {
            void vscode.window.showErrorMessage(MESSAGES.failed(`writing ${page.fsPath}`, err instanceof Error ? err.message : `${err}`));
            return;
        }
        await vscode.commands.executeCommand('markdown.showPreview', page);
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
    storage = context.storageUri ?? context.globalStorageUri;
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

// vjepa.insights' result (vjepa_core/insights/report.py compute(), docs/insights.md) as a Markdown page
// for "VJEPA: Show Insights". No `vscode` import.

import { MESSAGES } from './messages';

interface Evidence {
    module?: string;
    test?: string;
    source?: string;
    first_files?: string[];
    then_files?: string[];
}

interface Pattern {
    sentence?: string;
    support?: number;
    against?: number;
    p_value?: number;
    evidence?: Evidence[];
}

interface Suggestion {
    sentence?: string;
    reason?: string;
    files?: string[];
    target?: string;
    new_folder?: boolean;
    confidence?: number;
    level?: string;
}

interface Insights {
    root?: string;
    counts?: { files?: number; commits?: number; events?: number };
    patterns?: Pattern[];
    suggestions?: Suggestion[];
    summary?: { sentence?: string; themes?: { terms?: string[] }[] };
    people?: { solo?: boolean; authors?: number };
}

/** "How you work" when the history is one person's (or there is none), else the project's. */
function workHeading(people: Insights['people']): string {
    if (people && people.solo === false && typeof people.authors === 'number' && people.authors > 1) {
        return `## How work goes in this project (${people.authors} people)`;
    }
    return '## How you work';
}

/** Text that Markdown shows as written (no emphasis, links or HTML from file names or sentences). */
export function escapeMarkdown(text: string): string {
    return text.replace(/[\\`*_{}[\]()<>#+!|~]/g, '\\$&').replace(/\n+/g, ' ');
}

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;
const objects = <T>(list: unknown): T[] => (Array.isArray(list) ? list.filter((x) => !!x && typeof x === 'object') : []);
const strings = (list: unknown): string[] => (Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function evidenceLine(e: Evidence): string | undefined {
    if (e.module && e.test) {
        return `${code(e.module)} then ${code(e.test)}`;
    }
    const first = strings(e.first_files);
    const then = strings(e.then_files);
    if (first.length && then.length) {
        const where = e.source === 'editor' ? ' (in the editor)' : '';
        return `${first.map(code).join(', ')} then ${then.map(code).join(', ')}${where}`;
    }
    return undefined;
}

function patternLines(p: Pattern): string[] {
    const counts = [
        typeof p.support === 'number' ? `${p.support} for` : '',
        typeof p.against === 'number' ? `${p.against} against` : '',
        typeof p.p_value === 'number' ? `p = ${p.p_value < 0.001 ? p.p_value.toExponential(1) : p.p_value.toFixed(3)}` : '',
    ].filter(Boolean).join(', ');
    const lines = [`- ${escapeMarkdown(p.sentence ?? '')}${counts ? ` (${counts})` : ''}`];
    const examples = objects<Evidence>(p.evidence).map(evidenceLine).filter((l): l is string => !!l);
    if (examples.length) {
        lines.push(`  - ${plural(examples.length, 'example')}: ${examples.join('; ')}`);
    }
    return lines;
}

function suggestionLines(s: Suggestion): string[] {
    const level = [s.level ?? '', typeof s.confidence === 'number' ? `confidence ${s.confidence.toFixed(2)}` : '']
        .filter(Boolean).join(', ');
    const lines = [`- ${escapeMarkdown(s.sentence ?? '')}${level ? ` (${level})` : ''}`];
    if (s.reason) {
        lines.push(`  - Why: ${escapeMarkdown(s.reason)}`);
    }
    const files = strings(s.files);
    if (files.length && s.target) {
        lines.push(`  - ${files.map(code).join(', ')} → ${code(s.target)}${s.new_folder ? ' (a new folder)' : ''}`);
    }
    return lines;
}

/** The insights as Markdown: the summary sentence, how you work (with evidence counts), tidying ideas (with reasons). */
export function insightsMarkdown(result: unknown): string {
    if (!result || typeof result !== 'object' || Array.isArray(result)) {
        return `# VJEPA insights\n\n${MESSAGES.insightsNone}\n`;
    }
    const r = result as Insights;
    const name = (r.root ?? '').split(/[\\/]/).filter(Boolean).pop();
    const lines = [`# VJEPA insights${name ? `: ${escapeMarkdown(name)}` : ''}`, ''];
    lines.push(escapeMarkdown(r.summary?.sentence || MESSAGES.insightsNoSummary), '');
    const themes = objects<{ terms?: string[] }>(r.summary?.themes).map((t) => strings(t.terms).slice(0, 3).join(' + ')).filter(Boolean);
    if (themes.length) {
        lines.push(`Themes: ${themes.map(escapeMarkdown).join(' · ')}`, '');
    }
    const c = r.counts ?? {};
    const counted = [typeof c.files === 'number' ? plural(c.files, 'file') : '', typeof c.commits === 'number' ? plural(c.commits, 'commit') : '',
        typeof c.events === 'number' && c.events > 0 ? plural(c.events, 'editor event') : ''].filter(Boolean);
    if (counted.length) {
        lines.push(`_${MESSAGES.insightsFrom(counted.join(', '))}_`, '');
    }
    const patterns = objects<Pattern>(r.patterns);
    lines.push(workHeading(r.people), '');
    lines.push(...(patterns.length ? patterns.flatMap(patternLines) : [MESSAGES.insightsNoPatterns]), '');
    const suggestions = objects<Suggestion>(r.suggestions);
    lines.push('## Tidying ideas', '');
    lines.push(...(suggestions.length ? suggestions.flatMap(suggestionLines) : [MESSAGES.insightsNoSuggestions]), '');
    return lines.join('\n');
}

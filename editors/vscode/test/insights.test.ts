import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeMarkdown, insightsMarkdown } from '../src/common/insights';
import { MESSAGES } from '../src/common/messages';

// Shaped like vjepa_core/insights.compute() (docs/insights.md).
const RESULT = {
    root: '/home/me/app',
    counts: { files: 120, commits: 340, events: 0, relations: 2100 },
    patterns: [
        { kind: 'test_after_module', support: 6, against: 1, p_value: 0.0625, sentence: 'You usually create tests after the modules they test.',
            evidence: [{ module: 'server/orders.py', test: 'tests/test_orders.py', module_commit: 'a', test_commit: 'b' }] },
        { kind: 'order', support: 6, against: 0, p_value: 0.0000152, sentence: 'You usually work on Swift first, then Python.',
            evidence: [{ source: 'editor', first: 'editor', then: 'editor', first_files: ['App.swift'], then_files: ['tool.py'] }, null] },
    ],
    suggestions: [{ files: ['billing/money_text.py', 'users/text_clean.py'], target: 'utils/', new_folder: false,
        confidence: 0.82, level: 'high', reason: 'They changed together (up to 3 commits) and share words like unicode.',
        sentence: 'These 2 files might belong in utils/: billing/money_text.py, users/text_clean.py.' }],
    summary: { sentence: 'This project is about text + tax, written mostly in Python.', themes: [{ terms: ['text', 'normalize', 'ascii', 'x'] }] },
};

test('insights read as Markdown: summary, patterns with their counts and examples, suggestions with reasons', () => {
    const md = insightsMarkdown(RESULT);
    const lines = md.split('\n');
    assert.equal(lines[0], '# VJEPA insights: app');
    assert.equal(lines[2], 'This project is about text \\+ tax, written mostly in Python.');
    assert.ok(lines.includes('Themes: text \\+ normalize \\+ ascii'), md);
    assert.ok(lines.includes('_From 120 files, 340 commits; nothing left this machine and nothing was moved._'), md);
    assert.ok(md.indexOf('## How you work') < md.indexOf('## Tidying ideas'));
    assert.ok(lines.includes('- You usually create tests after the modules they test. (6 for, 1 against, p = 0.063)'), md);
    assert.ok(lines.includes('  - 1 example: `server/orders.py` then `tests/test_orders.py`'), md);
    assert.ok(lines.includes('- You usually work on Swift first, then Python. (6 for, 0 against, p = 1.5e-5)'), md);
    assert.ok(lines.includes('  - 1 example: `App.swift` then `tool.py` (in the editor)'), md);
    assert.ok(lines.includes('- These 2 files might belong in utils/: billing/money\\_text.py, users/text\\_clean.py. (high, confidence 0.82)'), md);
    assert.ok(lines.includes('  - Why: They changed together \\(up to 3 commits\\) and share words like unicode.'), md);
    assert.ok(lines.includes('  - `billing/money_text.py`, `users/text_clean.py` → `utils/`'), md);
});

test('a history of many people is not spoken of as "you"', () => {
    const md = insightsMarkdown({ ...RESULT, people: { solo: false, authors: 12 } });
    assert.ok(md.includes('\n## How work goes in this project (12 people)\n'), md);
    assert.ok(!md.includes('How you work'), md);
    assert.ok(insightsMarkdown({ ...RESULT, people: { solo: true, authors: 1 } }).includes('\n## How you work\n'));
});

test('empty insights say so, and a result that is not insights is named', () => {
    const md = insightsMarkdown({ root: '/w/new', counts: { files: 0, commits: 1 }, patterns: [], suggestions: [], summary: { sentence: '' } });
    assert.ok(md.includes(MESSAGES.insightsNoSummary));
    assert.ok(md.includes(MESSAGES.insightsNoPatterns));
    assert.ok(md.includes(MESSAGES.insightsNoSuggestions));
    assert.ok(md.includes('_From 0 files, 1 commit;'));
    for (const bad of [null, [], 'x', 3]) {
        assert.equal(insightsMarkdown(bad), `# VJEPA insights\n\n${MESSAGES.insightsNone}\n`);
    }
});

test('file names and sentences cannot inject Markdown links or HTML', () => {
    assert.equal(escapeMarkdown('[x](javascript:y) <img src=z> *a*\nb'), '\\[x\\]\\(javascript:y\\) \\<img src=z\\> \\*a\\* b');
    const md = insightsMarkdown({ suggestions: [{ sentence: 's', files: ['a`b.py'], target: 'u/' }], patterns: [] });
    assert.ok(md.includes("`a'b.py` → `u/`"), md);
});

#!/usr/bin/env node
// tests/kql/check.js: parses every KQL query that `breakglass monitor rules` wrote with
// Microsoft's Kusto language service (@kusto/language-service-next), against the Log Analytics
// table schemas in log-analytics-tables.json, and fails on any diagnostic.
//
// Usage: node check.js [--tables FILE] PATH...
//   --tables defaults to log-analytics-tables.json next to this file (or BREAKGLASS_LA_TABLES).
//   PATH is a file or a folder (searched recursively) holding generated rules:
//   *.kql  the whole file is one query;
//   *.yaml a Sentinel analytic rule template: the `query: |-` block;
//   *.json an ARM template: every resources[].properties.criteria.allOf[].query
//          (Azure Monitor) and resources[].properties.query (Sentinel alertRules);
//   *.bicep every `query: '''…'''` multi-line string.
//
// Prints one line per query and a last line "kql: N passed, M failed". Exits 1 when a query
// has a diagnostic, when a file yields no query, or when nothing was checked at all.
'use strict';

const fs = require('fs');
const path = require('path');

function fail(message) {
    process.stderr.write(`check.js: ${message}\n`);
    process.exit(2);
}

let tablesFile = process.env.BREAKGLASS_LA_TABLES || path.join(__dirname, 'log-analytics-tables.json');
const inputs = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--tables') {
        tablesFile = argv[++i];
    } else {
        inputs.push(argv[i]);
    }
}
if (inputs.length === 0) fail('usage: node check.js [--tables FILE] PATH...');
if (!fs.existsSync(tablesFile)) fail(`table schemas not found at ${tablesFile} (set BREAKGLASS_LA_TABLES or pass --tables)`);

try {
    require('@kusto/language-service-next/bridge.min.js');
    require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
} catch (err) {
    fail(`@kusto/language-service-next is not installed (run \`npm ci\` in tests/kql): ${err.message}`);
}
/* global Kusto */
const K = Kusto.Language;

// The tables, as the workspace declares them.
const schemas = JSON.parse(fs.readFileSync(tablesFile, 'utf8'));
const tables = Object.entries(schemas).map(([name, columns]) => {
    const schema = '(' + columns.map(([column, type]) => `${column}:${type}`).join(', ') + ')';
    return new K.Symbols.TableSymbol.$ctor7(name, schema, null);
});
const database = new K.Symbols.DatabaseSymbol.$ctor2('workspace', null, tables);
const globals = K.GlobalState.Default.WithDatabase(database);

// --- extraction ------------------------------------------------------------------------------

function yamlQueries(text) {
    const lines = text.split('\n');
    const start = lines.findIndex((l) => /^query: \|[-+]?\s*$/.test(l));
    if (start < 0) return [];
    const body = [];
    for (let i = start + 1; i < lines.length; i++) {
        const line = lines[i];
        if (line.trim() === '') { body.push(''); continue; }
        if (!line.startsWith('  ')) break;
        body.push(line.slice(2));
    }
    return [body.join('\n').trimEnd()];
}

function armQueries(text) {
    const template = JSON.parse(text);
    const found = [];
    const visit = (resources) => {
        for (const resource of resources || []) {
            const props = resource.properties || {};
            for (const condition of (props.criteria && props.criteria.allOf) || []) {
                if (typeof condition.query === 'string') found.push(condition.query);
            }
            if (typeof props.query === 'string') found.push(props.query);
            visit(resource.resources);
        }
    };
    visit(template.resources);
    return found;
}

function bicepQueries(text) {
    const found = [];
    const re = /query: '''\n?([\s\S]*?)'''/g;
    let match;
    while ((match = re.exec(text)) !== null) found.push(match[1]);
    return found;
}

function queriesOf(file) {
    const text = fs.readFileSync(file, 'utf8');
    switch (path.extname(file)) {
        case '.kql': return [text];
        case '.yaml': case '.yml': return yamlQueries(text);
        case '.json': return armQueries(text);
        case '.bicep': return bicepQueries(text);
        default: return null;
    }
}

function files(input) {
    const stat = fs.statSync(input);
    if (!stat.isDirectory()) return [input];
    return fs.readdirSync(input).sort().flatMap((name) => files(path.join(input, name)));
}

// --- analysis --------------------------------------------------------------------------------

function lineOf(text, offset) {
    return text.slice(0, offset).split('\n').length;
}

let passed = 0;
let failed = 0;
for (const input of inputs) {
    for (const file of files(input)) {
        const queries = queriesOf(file);
        if (queries === null) continue;
        if (queries.length === 0) {
            console.log(`FAIL ${file}: no query found`);
            failed++;
            continue;
        }
        queries.forEach((query, index) => {
            const label = queries.length > 1 ? `${file}#${index + 1}` : file;
            // An empty text has no diagnostics; it is still not a query.
            if (!/\b(?:AuditLogs|SigninLogs|AADNonInteractiveUserSignInLogs|AADServicePrincipalSignInLogs)\b/.test(query)) {
                console.log(`FAIL ${label}: no Log Analytics table is queried`);
                failed++;
                return;
            }
            const code = K.KustoCode.ParseAndAnalyze(query, globals);
            const diagnostics = code.GetDiagnostics();
            if (diagnostics.Count === 0) {
                console.log(`ok   ${label}`);
                passed++;
                return;
            }
            console.log(`FAIL ${label}`);
            const shown = Math.min(diagnostics.Count, 8);
            for (let i = 0; i < shown; i++) {
                const d = diagnostics.getItem(i);
                const excerpt = query.substr(d.Start, Math.max(d.Length, 1)).replace(/\n/g, '\\n');
                console.log(`     line ${lineOf(query, d.Start)}: ${d.Severity} ${d.Code} ${d.Message} [${excerpt}]`);
            }
            if (diagnostics.Count > shown) console.log(`     … and ${diagnostics.Count - shown} more`);
            failed++;
        });
    }
}
console.log(`kql: ${passed} passed, ${failed} failed`);
if (passed + failed === 0) {
    process.stderr.write('check.js: no query was found in the given paths\n');
    process.exit(1);
}
process.exit(failed === 0 ? 0 : 1);

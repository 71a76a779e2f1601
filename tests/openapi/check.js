// Checks every answer the Apache::Test suite received against
// docs/openapi.yaml: its status is one the operation documents, its
// headers are those the document requires and allows (values included),
// its Content-Type is one the response documents, and its body matches
// the schema.
//
//   node tests/openapi/check.js --doc docs/openapi.yaml
//        --conf t/conf/extra.conf.in --answers t/logs/answers.jsonl
//
// The answers are those t/lib/CharonTest.pm records. The mounts of the run
// API (`SetHandler charon`) are read from the test configuration; a request
// under a mount is matched to the document's operation by openapi-backend's
// router, header values are checked by openapi-backend (the presence of the
// required ones here) and statuses and bodies by
// openapi-response-validator. A route the document has no operation for is
// the module's 404 (or 401, checked first): checked as a problem document.
// An answer httpd gives itself (its HTML error pages: a %2F in the path, a
// malformed chunked body) is counted apart. Exits 1 on any mismatch, or
// when no answer was checked.
'use strict';

const fs = require('fs');
const path = require('path');
const nm = process.env.CHARON_OPENAPI_MODULES ||
    path.join(__dirname, '..', '..', 'build', 'openapi', 'node_modules');
const OpenAPIBackend = require(path.join(nm, 'openapi-backend')).default;
const ResponseValidator = require(path.join(nm, 'openapi-response-validator')).default;
const yaml = require(path.join(nm, 'js-yaml'));

function args() {
    const a = {};
    const v = process.argv.slice(2);
    for (let i = 0; i < v.length; i += 2) {
        a[v[i].replace(/^--/, '')] = v[i + 1];
    }
    for (const k of ['doc', 'conf', 'answers']) {
        if (!a[k]) {
            console.error(`openapi-check: --${k} is required`);
            process.exit(2);
        }
    }
    return a;
}

// The <Location> of each `SetHandler charon` (not charon-manager &c.).
function mounts(conf) {
    const out = new Set();
    let loc = null;
    for (const line of fs.readFileSync(conf, 'utf8').split('\n')) {
        const m = line.match(/^\s*<Location\s+"?([^">]+)"?\s*>/);
        if (m) loc = m[1];
        if (/^\s*SetHandler\s+charon\s*$/.test(line) && loc) out.add(loc);
    }
    return [...out].sort((x, y) => y.length - x.length);
}

function mediaType(h) {
    return (h['content-type'] || '').split(';')[0].trim().toLowerCase();
}

async function main() {
    const a = args();
    // The document read here (js-yaml), and taken from openapi-backend
    // dereferenced (api.definition): in quick mode its api.document is
    // filled in after init() returns, or not, by chance.
    const definition = yaml.load(fs.readFileSync(a.doc, 'utf8'));
    const api = new OpenAPIBackend({definition, quick: true, apiRoot: '/'});
    await api.init();
    if (!api.definition || !api.definition.components) {
        throw new Error(`openapi-backend did not take ${a.doc}`);
    }
    const problems = api.definition.components.responses;
    const unrouted = new ResponseValidator({
        responses: {401: problems.Unauthorized, 404: problems.NotFound},
        components: api.definition.components,
    });
    const validators = {};
    const under = mounts(a.conf);
    if (!under.length) {
        console.error(`openapi-check: no SetHandler charon in ${a.conf}`);
        process.exit(1);
    }
    const count = {checked: 0, unrouted: 0, httpd: 0, outside: 0};
    const byOp = {};
    const errors = [];
    const lines = fs.existsSync(a.answers)
        ? fs.readFileSync(a.answers, 'utf8').split('\n').filter(Boolean) : [];
    for (const line of lines) {
        let ans;
        try {
            ans = JSON.parse(line);
        } catch (e) {
            errors.push(`a line of ${a.answers} is not JSON: ${line.slice(0, 80)}`);
            continue;
        }
        const mount = under.find((m) => ans.path.startsWith(m));
        if (!mount) {
            count.outside++;
            continue;
        }
        const h = ans.headers || {};
        const what = `${ans.method} ${ans.path} -> ${ans.status} (${ans.how})`;
        const fail = (msg) => errors.push(`${what}: ${msg}`);
        if (mediaType(h) === 'text/html' && h['cache-control'] !== 'no-store') {
            count.httpd++;
            continue;
        }
        const raw = Buffer.from(ans.body || '', 'base64');
        let body;
        if (raw.length) {
            if (!/json$/.test(mediaType(h))) {
                fail(`a body of type '${mediaType(h)}', not JSON`);
                continue;
            }
            try {
                body = JSON.parse(raw.toString('utf8'));
            } catch (e) {
                fail(`the body is not JSON: ${raw.toString('utf8').slice(0, 80)}`);
                continue;
            }
        }
        const route = '/' + ans.path.slice(mount.length);
        const op = api.router.matchOperation(
            {method: ans.method.toLowerCase(), path: route, headers: {}});
        if (!op) {
            count.unrouted++;
            const r = unrouted.validateResponse(ans.status, body);
            if (r) fail(`no operation; as the module's 404: ${JSON.stringify(r.errors)}`);
            if (h['cache-control'] !== 'no-store') fail('no Cache-Control: no-store');
            continue;
        }
        count.checked++;
        byOp[op.operationId] = (byOp[op.operationId] || 0) + 1;
        const doc = op.responses[String(ans.status)];
        if (!doc) {
            fail(`status ${ans.status} is not documented for ${op.operationId} ` +
                 `(${Object.keys(op.responses).join(', ')})`);
            continue;
        }
        if (doc.content) {
            if (!doc.content[mediaType(h)]) {
                fail(`Content-Type '${mediaType(h)}' is not ` +
                     `${Object.keys(doc.content).join(' or ')}`);
            }
            if (ans.method !== 'HEAD') {
                validators[op.operationId] = validators[op.operationId] ||
                    new ResponseValidator({responses: op.responses,
                                          components: api.definition.components});
                const r = validators[op.operationId].validateResponse(ans.status, body);
                if (r) fail(`body: ${JSON.stringify(r.errors)}`);
            }
        }
        else if (raw.length) {
            fail('a body where the document has none');
        }
        // Values by openapi-backend ('any': those present); presence of
        // the required ones here (its 'superset' requires every one).
        const hr = api.validateResponseHeaders(
            h, op, {statusCode: ans.status, setMatchType: 'any'});
        if (hr.errors) fail(`headers: ${JSON.stringify(hr.errors)}`);
        for (const [name, spec] of Object.entries(doc.headers || {})) {
            if (spec.required && !(name.toLowerCase() in h)) {
                fail(`no ${name} header`);
            }
        }
    }
    const ops = Object.entries(byOp).sort().map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`openapi-check: ${count.checked} answers checked against ` +
                `${a.doc} (${ops || 'none'}); ${count.unrouted} unrouted (checked ` +
                `as the module's 404); ${count.httpd} answered by httpd itself; ` +
                `${count.outside} outside the run API's mounts (${under.join(' ')}); ` +
                `${errors.length} mismatched`);
    for (const e of errors.slice(0, 30)) console.log(`openapi-check: MISMATCH ${e}`);
    if (errors.length > 30) console.log(`openapi-check: ... and ${errors.length - 30} more`);
    if (errors.length || !count.checked) {
        if (!count.checked) console.log('openapi-check: no answer was checked');
        process.exit(1);
    }
}

main().catch((e) => {
    console.error(`openapi-check: ${e.stack || e}`);
    process.exit(1);
});

// Checks every answer the Apache::Test suite received against
// docs/openapi.yaml: its status is one the operation documents, its
// headers are those the document requires and allows (values included),
// its Content-Type is one the response documents, and its body matches
// the schema.
//
//   node tests/openapi/check.js --doc docs/openapi.yaml
//        --conf t/conf/extra.conf.in --answers t/logs/answers.jsonl
//
// The answers are those t/lib/CharonTest.pm records. The document describes
// two handlers, the run API (`SetHandler charon`) and the management API
// (`SetHandler charon-admin`); its `x-charon-handlers` gives, for each, the
// prefix its routes take among the document's paths (`/` and `/admin/api/`)
// and what a route with no operation answers. The mounts of each handler
// (the <Location> of each `SetHandler charon` or `SetHandler charon-admin`,
// any number of each) are read from the test configuration. A request at
// MOUNT + ROUTE is matched by openapi-backend's router to the operation of
// the path PREFIX + ROUTE, among the operations of that handler only (those
// whose path is under its prefix and no longer one); header values are
// checked by openapi-backend (the presence of the required ones here) and
// statuses and bodies by openapi-response-validator. A route the handler
// has no operation for is the module's 404 (or 401, checked first; or, for
// the management API, 403 to a key without its rights): checked as a
// problem document. An answer httpd gives itself (its HTML error pages: a
// %2F in the path, a malformed chunked body) is counted apart, and one
// under no mount ignored. Exits 1 on any mismatch, or when no answer was
// checked; 2 on a bad argument, document or configuration.
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

// {handler: {prefix, unrouted}} from the document's x-charon-handlers.
function handlers(definition, doc) {
    const x = definition['x-charon-handlers'];
    const out = {};
    for (const [name, h] of Object.entries(x || {})) {
        if (!h || typeof h.prefix !== 'string' || !/^\/(.*\/)?$/.test(h.prefix) ||
            !Array.isArray(h.unrouted) || !h.unrouted.length) {
            console.error(`openapi-check: ${doc}: x-charon-handlers.${name} needs ` +
                          'a prefix (/.../) and the unrouted statuses');
            process.exit(2);
        }
        out[name] = h;
    }
    if (!Object.keys(out).length) {
        console.error(`openapi-check: ${doc} has no x-charon-handlers`);
        process.exit(2);
    }
    return out;
}

// The <Location> of each `SetHandler NAME` for the handlers named (not
// charon-manager &c.), with its handler: longest first, so that a mount
// inside another is found before it. Answers are told apart by their path
// only: a <Location> that is a mount of two handlers (in two virtual hosts)
// is refused.
function mounts(conf, names) {
    const out = new Map();
    let loc = null;
    for (const line of fs.readFileSync(conf, 'utf8').split('\n')) {
        const m = line.match(/^\s*<Location\s+"?([^">]+)"?\s*>/);
        if (m) loc = m[1];
        if (/^\s*<\/Location\s*>/.test(line)) loc = null;
        const h = line.match(/^\s*SetHandler\s+"?([^"\s]+)"?\s*$/);
        if (!h || !loc || !names.includes(h[1])) continue;
        if (out.has(loc) && out.get(loc) !== h[1]) {
            console.error(`openapi-check: ${conf}: <Location "${loc}"> is a mount ` +
                          `of ${out.get(loc)} and of ${h[1]}: answers there cannot ` +
                          'be told apart');
            process.exit(2);
        }
        out.set(loc, h[1]);
    }
    return [...out].map(([loc, handler]) => ({loc, handler}))
        .sort((x, y) => y.loc.length - x.loc.length);
}

// The handler a path of the document belongs to: the one with the longest
// prefix of it.
function owner(hs, docPath) {
    let best = null;
    for (const [name, h] of Object.entries(hs)) {
        if (docPath.startsWith(h.prefix) &&
            (!best || h.prefix.length > hs[best].prefix.length)) {
            best = name;
        }
    }
    return best;
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
    const hs = handlers(definition, a.doc);
    // What a route with no operation answers, per handler: a problem
    // document with one of its unrouted statuses.
    const unrouted = {};
    for (const [name, h] of Object.entries(hs)) {
        const responses = {};
        for (const status of h.unrouted) {
            responses[status] = {
                description: `${name}: a route with no operation`,
                content: {'application/problem+json':
                          {schema: api.definition.components.schemas.Problem}},
            };
        }
        unrouted[name] = new ResponseValidator(
            {responses, components: api.definition.components});
    }
    const validators = {};
    const under = mounts(a.conf, Object.keys(hs));
    if (!under.length) {
        console.error(`openapi-check: no SetHandler ${Object.keys(hs).join(' or ')} ` +
                      `in ${a.conf}`);
        process.exit(1);
    }
    const count = {checked: 0, unrouted: 0, httpd: 0, outside: 0};
    const byOp = {};    // handler -> operationId -> answers
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
        const mount = under.find((m) => ans.path.startsWith(m.loc));
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
        // MOUNT + ROUTE is the document's PREFIX + ROUTE, among the
        // operations of the mount's handler only.
        let rest = ans.path.slice(mount.loc.length);
        if (!mount.loc.endsWith('/')) rest = rest.replace(/^\//, '');
        const route = hs[mount.handler].prefix + rest;
        let op = api.router.matchOperation(
            {method: ans.method.toLowerCase(), path: route, headers: {}});
        if (op && owner(hs, op.path) !== mount.handler) op = undefined;
        if (!op) {
            count.unrouted++;
            const as = `no ${mount.handler} operation; as the module's ` +
                hs[mount.handler].unrouted.join(' or ');
            if (ans.method === 'HEAD') {
                if (!hs[mount.handler].unrouted.includes(ans.status)) {
                    fail(`${as}: status ${ans.status}`);
                }
                if (raw.length) fail('a body to HEAD');
            } else {
                const r = unrouted[mount.handler].validateResponse(ans.status, body);
                if (r) fail(`${as}: ${JSON.stringify(r.errors)}`);
            }
            if (h['cache-control'] !== 'no-store') fail('no Cache-Control: no-store');
            continue;
        }
        count.checked++;
        byOp[mount.handler] = byOp[mount.handler] || {};
        byOp[mount.handler][op.operationId] = (byOp[mount.handler][op.operationId] || 0) + 1;
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
    const ops = Object.keys(hs).filter((n) => byOp[n]).map((n) => {
        const each = Object.entries(byOp[n]).sort();
        const sum = each.reduce((t, [, v]) => t + v, 0);
        return `${n} ${sum}: ` + each.map(([k, v]) => `${k} ${v}`).join(', ');
    }).join('; ');
    const where = Object.keys(hs).map((n) => `${n}: ` + (under.filter((m) =>
        m.handler === n).map((m) => m.loc).join(' ') || 'none')).join('; ');
    console.log(`openapi-check: ${count.checked} answers checked against ` +
                `${a.doc} (${ops || 'none'}); ${count.unrouted} unrouted (checked ` +
                `as the module's 404); ${count.httpd} answered by httpd itself; ` +
                `${count.outside} outside the mounts (${where}); ` +
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

# Authentication: X-API-KEY, 401 before anything else, key kinds, scoped
# keys (403), key names recorded, keys never echoed nor logged.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

# ---- fixtures
my $open = seed_cron('auth-open', 1);
my %cron = map { $_ => seed_cron($_, 1) } qw(billing-nightly billing-
    report-a report-ab report- other nightly-auth weekly-report weekly-reports);
my $billing_off = seed_cron('billing-off', 0);

my $E = start_exec($open) // 0;          # a running execution of auth-open
my $end_body = { type => 'success', success => JSON::true };
my $msg_body = { type => 'info', message => 'hello' };

# requests that must all be 401 without a key, whatever they are
my @no_key = (
    [GET     => '/api/nonsense'],
    [GET     => '/api/'],
    [GET     => '/api/x/bogus'],
    [GET     => '/api/a/b/can-start'],
    [GET     => '/api/auth-open/can-start/'],
    [GET     => '/api/abc/start'],
    [GET     => '/api/99999999999999999999/start'],
    [GET     => '/api/9223372036854775807/start'],
    [GET     => '/api/no-such-cron-here/can-start'],
    [PUT     => '/api/auth-open/can-start'],
    [DELETE  => '/api/auth-open/can-start'],
    [OPTIONS => '/api/auth-open/can-start'],
    [POST    => '/api/auth-open/can-start'],
    [PATCH   => "/api/$E/end", '{}'],
    [GET     => "/api/$E/end"],
    [GET     => "/api/$E/message"],
    [POST    => "/api/$E/end", 'not json'],
    [POST    => "/api/$E/end", '[]'],
    [POST    => "/api/$E/end", '{}'],
    [POST    => "/api/$E/message", '{"type":"bogus"}'],
    [POST    => "/api/$E/message", ''],
);

my @wrong_keys = (
    [KEY_CLEAR =~ s/9$/8/r,            'last character changed'],
    [substr(KEY_CLEAR, 0, -1),         'a prefix of a key'],
    [KEY_CLEAR . 'x',                  'a key with a character added'],
    [uc KEY_CLEAR,                     'a key in upper case'],
    ['',                               'an empty key'],
    ['app-clear',                      "the key's name"],
    [KEY_HASHED_DIGEST,                'the configured digest, in hex'],
    ['sha256:' . KEY_HASHED_DIGEST,    'the configured sha256:... string'],
    [KEY_SMALL,                        'a key of another Location'],
    [KEY_VHOST_A,                      'a key of a virtual host'],
    ['Bearer ' . KEY_CLEAR,            'a key with a Bearer prefix'],
    ['test-key-nobody-0123456789',     'an unknown key'],
);

my @valid = (
    [KEY_CLEAR,  'app-clear',  'clear key'],
    [KEY_HASHED, 'app-hashed', 'sha256-configured key'],
    [KEY_FILE,   'app-file',   'key from CharonApiKeyFile'],
    [KEY_GLOBAL, 'app-global', 'server-level key'],
);

my @header_names = ('X-API-KEY', 'x-api-key', 'X-Api-Key', 'x-API-kEy');

plan tests => 9 + @no_key + 4 + @wrong_keys + 1 + @header_names
    + 3 * @valid + 34 + 2;

my %can_keys = (keys => [qw(slug canStart cronId)], numbers => ['cronId']);

# ---- 1. no key at all, on every endpoint (9)
ok_problem(req(GET => '/api/auth-open/can-start'), 401,
           'can-start without X-API-KEY: 401');
ok_problem(req(HEAD => '/api/auth-open/can-start'), 401,
           'HEAD can-start without X-API-KEY: 401', head => 1);
my $n = count_executions($open);
ok_problem(req(GET => "/api/$open/start"), 401, 'GET start without key: 401');
ok_problem(req(POST => "/api/$open/start"), 401, 'POST start without key: 401');
is(count_executions($open), $n, 'no execution created without a key');
ok_problem(req(POST => "/api/$E/end", json => $end_body), 401,
           'end without key: 401');
my $row = execution($E);
ok($row && !defined $row->{ended_at}, 'execution still running')
    or diag explain $row;
ok_problem(req(POST => "/api/$E/message", json => $msg_body), 401,
           'message without key: 401');
is(count_messages($E), 0, 'no message stored without a key');

# ---- 2. 401 comes before 404, 405, 400, 422, 413 (@no_key + 4)
for my $t (@no_key) {
    my ($m, $p, $b) = @$t;
    ok_problem(req($m => $p, defined $b ? (body => $b) : ()), 401,
               "no key: $m $p" . (defined $b ? " body '$b'" : '') . ': 401');
}
ok_problem(req(HEAD => "/api/$open/start"), 401,
           'no key: HEAD start: 401 (not 405)', head => 1);
ok_problem(req(POST => "/small/$E/end",
               body => json_enc({ %$end_body, pad => 'x' x 2000 })),
           401, 'no key: body over CharonMaxBodySize: 401 (not 413)');
ok_problem(req(PUT => '/api/nonsense/can-start', key => 'test-key-wrong-0123456789'),
           401, 'wrong key on PUT of an unknown cron: 401');
$row = execution($E);
ok($row && !defined $row->{ended_at} && count_messages($E) == 0,
   'execution untouched by the refused requests') or diag explain $row;

# ---- 3. wrong keys (@wrong_keys + 1)
for my $w (@wrong_keys) {
    ok_problem(req(GET => '/api/auth-open/can-start', key => $w->[0]), 401,
               "wrong key ($w->[1]): 401");
}
# two X-API-KEY headers, one of them valid: httpd joins them, no key matches
ok_problem(raw_req(path => '/api/auth-open/can-start',
                   headers => [['X-API-KEY', KEY_CLEAR],
                               ['X-API-KEY', 'test-key-other-0123456789']]),
           401, 'two X-API-KEY headers (one valid): 401');

# ---- 4. the header name is case-insensitive (@header_names)
for my $h (@header_names) {
    ok_json(raw_req(path => '/api/auth-open/can-start',
                    headers => [[$h, KEY_CLEAR]]),
            "header sent as '$h' is accepted", %can_keys,
            fields => { slug => 'auth-open', canStart => 1, cronId => $open });
}

# ---- 5. every kind of key works, its name is recorded (3 * @valid)
for my $v (@valid) {
    my ($key, $name, $what) = @$v;
    ok_json(req(GET => '/api/auth-open/can-start', key => $key),
            "$what: can-start 200", %can_keys);
    my $d = ok_json(req(GET => "/api/$open/start", key => $key),
                    "$what: start 200", keys => ['id'], numbers => ['id']);
    my $r = execution($d->{id} // 0);
    ok($r && ($r->{api_key} // '') eq $name
       && ($r->{remote_addr} // '') eq '127.0.0.1',
       "$what: execution records the key name '$name' and 127.0.0.1")
        or diag explain $r;
}

# ---- 6. scoped keys (34)
# app-scoped: "billing-*" "report-?"
for my $s (qw(billing-nightly billing- report-a)) {
    ok_json(req(GET => "/api/$s/can-start", key => KEY_SCOPED),
            "scoped key allowed on '$s'", %can_keys,
            fields => { slug => $s, cronId => $cron{$s} });
}
for my $s (qw(other report-ab report-)) {
    ok_problem(req(GET => "/api/$s/can-start", key => KEY_SCOPED), 403,
               "scoped key refused on '$s': 403");
}
ok_problem(req(HEAD => '/api/other/can-start', key => KEY_SCOPED), 403,
           'HEAD can-start, scoped key refused: 403', head => 1);
# "report- " matches "report-?", but no cron has that slug: the cron
# "report-" (refused above) must not be reached through it
ok_problem(req(GET => '/api/report-%20/can-start', key => KEY_SCOPED), 404,
           "scoped key on 'report- ' (a pattern match, no such cron): 404");

my $d = ok_json(req(GET => "/api/$cron{'billing-nightly'}/start",
                    key => KEY_SCOPED),
                'scoped key starts billing-nightly', keys => ['id'],
                numbers => ['id']);
my $B = $d->{id} // 0;
$row = execution($B);
ok($row && ($row->{api_key} // '') eq 'app-scoped'
   && $row->{cron_id} == $cron{'billing-nightly'},
   'execution records key name app-scoped') or diag explain $row;

$n = count_executions($cron{other});
ok_problem(req(GET => "/api/$cron{other}/start", key => KEY_SCOPED), 403,
           'scoped key cannot start other: 403');
ok_problem(req(POST => "/api/$cron{'report-ab'}/start", key => KEY_SCOPED), 403,
           'scoped key cannot POST-start report-ab: 403');
is(count_executions($cron{other}) + count_executions($cron{'report-ab'}), $n,
   'refused starts created nothing');

ok_problem(req(GET => "/api/$billing_off/start", key => KEY_SCOPED), 418,
           'scoped key, allowed but inactive cron: 418');
ok_problem(req(GET => '/api/' . (max_execution_id() + 100000) . '/start',
               key => KEY_SCOPED), 404, 'scoped key, unknown cron id: 404');

# end / message are judged by the slug of the execution's cron
my $O = start_exec($cron{other}) // 0;
ok_problem(req(POST => "/api/$O/end", key => KEY_SCOPED, json => $end_body),
           403, 'scoped key cannot end an execution of other: 403');
$row = execution($O);
ok($row && !defined $row->{ended_at} && !defined $row->{success}
   && !defined $row->{type}, 'that execution is still running')
    or diag explain $row;
ok_problem(req(POST => "/api/$O/message", key => KEY_SCOPED, json => $msg_body),
           403, 'scoped key cannot add a message to other: 403');
is(count_messages($O), 0, 'no message stored');

ok_json(req(POST => "/api/$B/message", key => KEY_SCOPED, json => $msg_body),
        'scoped key adds a message to billing-nightly', keys => ['id'],
        numbers => ['id']);
is(count_messages($B), 1, 'message stored');
ok_json(req(POST => "/api/$B/end", key => KEY_SCOPED, json => $end_body),
        'scoped key ends billing-nightly', keys => ['id'],
        fields => { id => $B });
$row = execution($B);
ok($row && defined $row->{ended_at} && $row->{success} == 1,
   'billing-nightly execution ended') or diag explain $row;

# an execution started by another key is still judged by its cron's slug
my $R = start_exec($cron{'report-a'}, KEY_CLEAR) // 0;
ok_json(req(POST => "/api/$R/end", key => KEY_SCOPED, json => $end_body),
        'scoped key ends a report-a execution started by app-clear',
        keys => ['id'], fields => { id => $R });
ok_problem(req(POST => '/api/' . (max_execution_id() + 100000) . '/end',
               key => KEY_SCOPED, json => $end_body), 404,
           'scoped key, unknown execution: 404');

# the 403 does not depend on the key being the one that started it
ok_json(req(POST => "/api/$O/end", key => KEY_CLEAR, json => $end_body),
        'an unscoped key ends the execution of other', keys => ['id'],
        fields => { id => $O });

# app-file-scoped (key file): nightly-* weekly-report
for my $s (qw(nightly-auth weekly-report)) {
    ok_json(req(GET => "/api/$s/can-start", key => KEY_FILE_SCOPED),
            "key-file scoped key allowed on '$s'", %can_keys,
            fields => { slug => $s });
}
for my $s (qw(weekly-reports billing-nightly)) {
    ok_problem(req(GET => "/api/$s/can-start", key => KEY_FILE_SCOPED), 403,
               "key-file scoped key refused on '$s': 403");
}
$d = ok_json(req(POST => "/api/$cron{'nightly-auth'}/start",
                 key => KEY_FILE_SCOPED),
             'key-file scoped key starts nightly-auth', keys => ['id'],
             numbers => ['id']);
$row = execution($d->{id} // 0);
ok($row && ($row->{api_key} // '') eq 'app-file-scoped',
   'execution records key name app-file-scoped') or diag explain $row;
ok_problem(req(GET => "/api/$cron{'weekly-reports'}/start",
               key => KEY_FILE_SCOPED), 403,
           'key-file scoped key cannot start weekly-reports: 403');

# the database never holds a secret
my ($leaked) = dbh()->selectrow_array(
    q{SELECT COUNT(*) FROM charon_execution WHERE api_key LIKE '%test-key-%'});
is(0 + $leaked, 0, 'no secret stored in charon_execution.api_key');

# ---- 7. keys never echoed, never logged (2)
no_leak_ok();

my $log = Apache::Test::vars('t_logs') . '/error_log';
my @found;
if (open my $fh, '<', $log) {
    while (my $line = <$fh>) {
        # httpd's own trace logging (LogLevel trace8 under Apache::Test) may
        # dump request headers: only the module's lines and untagged ones
        # are the module's doing.
        next if $line =~ /\[(\w+):trace\d\]/ && $1 ne 'charon';
        push @found, $line if $line =~ /test-key-|\Q${\ KEY_HASHED_DIGEST}\E/;
    }
}
ok(!@found, 'no key (valid or not) in the error_log')
    or diag join '', @found[0 .. ($#found > 4 ? 4 : $#found)];

use strict;
use warnings;

# The management API (docs/MANAGEMENT.md): every route and status, the
# conditions (ETag, If-Match, If-None-Match), dry runs, the record of
# changes, and two PATCHes with the same ETag.  Who may do what is
# t/admin_access.t; charon-run apply is t/admin_apply.t.

use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use CharonTest;
use JSON ();
use MIME::Base64 ();

plan tests => 111;

use constant {
    KEY_ADM_WRITE => 'test-key-adm-write-0123456789',
    KEY_ADM_READ  => 'test-key-adm-read-0123456789',
};

sub adm {
    my ($method, $path, %o) = @_;
    return req($method, "/admin/api/$path", key => KEY_ADM_WRITE, %o);
}

sub audit_count {
    my ($slug) = @_;
    return dbh()->selectrow_array(
        'SELECT COUNT(*) FROM charon_audit WHERE slug = ?', undef, $slug);
}

sub crow {
    my ($slug) = @_;
    return dbh()->selectrow_hashref(
        'SELECT name, grace, concurrency, CASE WHEN active THEN 1 ELSE 0 END '
      . 'AS active FROM charon_cron WHERE slug = ?', undef, $slug);
}

sub fresh {
    my ($slug) = @_;
    purge_cron($slug);
    dbh()->do('DELETE FROM charon_audit WHERE slug = ?', undef, $slug);
}

my @CRON_KEYS = qw(id slug name created_at active off_reason off_until
    concurrency max_runtime schedule timezone grace min_runtime
    failure_threshold recovery_threshold realert_every mute_until);

# ---- PUT: create, the same again, replace ----------------------------------
my $S = 'adm-put';
fresh($S);
my $res = adm(PUT => "crons/$S", json => {
    name => 'Nightly', schedule => '0 3 * * *', timezone => 'Europe/Paris',
    grace => 600, concurrency => 'forbid', max_runtime => 3600,
    failure_threshold => 2, realert_every => 3600 },
    headers => ['If-None-Match' => '*']);
my $d = ok_json($res, 'PUT of a new cron: 201 with the cron',
    status => 201, keys => \@CRON_KEYS, numbers => ['id'],
    fields => { slug => $S, name => 'Nightly', schedule => '0 3 * * *',
                grace => 600, concurrency => 'forbid', max_runtime => 3600,
                failure_threshold => 2, recovery_threshold => 1,
                realert_every => 3600 },
    bools => { active => 1 });
my $etag1 = $res->header('ETag') // '';
ok($etag1 =~ /^"[0-9a-f]{32}"$/) or diag("ETag '$etag1'");
ok(($d->{created_at} // '') =~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
my $row = crow($S);
ok($row && $row->{grace} == 600 && $row->{concurrency} eq 'forbid')
    or diag(explain_row($row));
ok(audit_count($S) == 1);

$res = adm(PUT => "crons/$S", json => {
    name => 'Nightly', schedule => '0 3 * * *', timezone => 'Europe/Paris',
    grace => 600, concurrency => 'forbid', max_runtime => 3600,
    failure_threshold => 2, realert_every => 3600 });
ok_json($res, 'the same PUT again: 200', fields => { name => 'Nightly' });
ok(($res->header('ETag') // '') eq $etag1);
ok(audit_count($S) == 1, 'the same PUT again records nothing');

$res = adm(GET => "crons/$S");
ok_json($res, 'GET the cron: 200', keys => \@CRON_KEYS,
    fields => { slug => $S, timezone => 'Europe/Paris' });
ok(($res->header('ETag') // '') eq $etag1, 'GET gives the same ETag');
$res = adm(HEAD => "crons/$S");
ok_head($res, 200, 'HEAD of the cron: 200, no body');

# A PUT leaves out fields: they take their defaults.
$res = adm(PUT => "crons/$S", json => { name => 'Nightly 2' },
           headers => ['If-Match' => $etag1]);
$d = ok_json($res, 'PUT replacing the definition: 200',
    fields => { name => 'Nightly 2', grace => 300, concurrency => 'allow',
                failure_threshold => 1 });
ok(!defined $d->{schedule} && !defined $d->{max_runtime});
my $etag2 = $res->header('ETag') // '';
ok($etag2 ne $etag1 && $etag2 =~ /^"[0-9a-f]{32}"$/);
ok(audit_count($S) == 2);

$res = adm(PUT => "crons/$S", json => { name => 'x' },
           headers => ['If-Match' => $etag1]);
ok_problem($res, 412, 'PUT with a stale If-Match: 412');
ok(crow($S)->{name} eq 'Nightly 2', 'a 412 changes nothing');
$res = adm(PUT => "crons/$S", json => { name => 'x' },
           headers => ['If-None-Match' => '*']);
ok_problem($res, 412, 'PUT with If-None-Match: * on a cron: 412');
$res = adm(PUT => 'crons/adm-put-none', json => { name => 'x' },
           headers => ['If-Match' => '*']);
ok_problem($res, 412, 'If-Match: * on no cron: 412');
ok(!cron_id('adm-put-none'));

# The operator's switch survives a PUT that does not name it.
$res = adm(POST => "crons/$S/off",
           json => { reason => 'disk full', until => '2031-01-02T03:04:05Z' });
ok_json($res, 'off: 200', fields => { off_reason => 'disk full',
    off_until => '2031-01-02T03:04:05Z' }, bools => { active => 0 });
$res = req(GET => "/api/$S/can-start", key => KEY_CLEAR);
ok_json($res, 'the run API sees it off', bools => { canStart => 0 });
$res = adm(PUT => "crons/$S", json => { name => 'Nightly 3' });
ok_json($res, 'PUT without active keeps the switch',
    fields => { name => 'Nightly 3', off_reason => 'disk full' },
    bools => { active => 0 });
$res = adm(POST => "crons/$S/on");
ok_json($res, 'on: 200, reason and until cleared', bools => { active => 1 });
$d = decode_body($res);
ok(!defined $d->{off_reason} && !defined $d->{off_until});
$res = adm(POST => "crons/$S/on", json => { reason => 'x' });
ok_problem($res, 422, 'on with a reason: 422', field => 'reason');
$res = adm(POST => "crons/$S/off", json => { until => 'soon' });
ok_problem($res, 422, 'off with a bad until: 422', field => 'until');
$res = adm(POST => 'crons/adm-no-such/off', json => {});
ok_problem($res, 404, 'off of no cron: 404');

# ---- bodies that are refused ----------------------------------------------
my $before = audit_count($S);
my $etag = adm(GET => "crons/$S")->header('ETag');
for my $case (
    [{ name => 'x', grace => 'x' }, 'grace'],
    [{ name => 'x', grace => 0 }, 'grace'],
    [{ name => 'x', grace => 1.5 }, 'grace'],
    [{ name => 'x', failure_threshold => 1001 }, 'failure_threshold'],
    [{ name => 'x', realert_every => 59 }, 'realert_every'],
    [{ name => 'x', concurrency => 'sometimes' }, 'concurrency'],
    [{ name => 'x', schedule => '61 * * * *' }, 'schedule'],
    [{ name => 'x', timezone => 'Mars/Olympus' }, 'timezone'],
    [{ name => 'x', mute_until => 'tomorrow' }, 'mute_until'],
    [{ name => 'x', active => 'yes' }, 'active'],
    [{ name => 'x', colour => 'red' }, 'colour'],
    [{ name => 'x', slug => 'another' }, 'slug'],
    [{ name => '' }, 'name'],
    [{ grace => 60 }, 'name'],
) {
    my ($body, $field) = @$case;
    $res = adm(PUT => "crons/$S", json => $body);
    ok_problem($res, 422, "PUT with a bad $field: 422 naming it",
               field => $field);
}
$res = adm(PUT => "crons/$S", body => '[1]');
ok_problem($res, 400, 'PUT with a body that is not an object: 400');
$res = adm(PATCH => "crons/$S", body => '{"name": ');
ok_problem($res, 400, 'PATCH with broken JSON: 400');
$res = adm(PATCH => "crons/$S", json => { name => undef });
ok_problem($res, 422, 'PATCH name to null: 422', field => 'name');
$res = adm(PUT => "crons/bad%01slug", json => { name => 'x' });
ok_problem($res, 422, 'PUT of a slug with a control character: 422',
           field => 'slug');
ok(audit_count($S) == $before
   && adm(GET => "crons/$S")->header('ETag') eq $etag,
   'refused bodies change nothing');
$res = adm(PUT => "crons/$S", body => '{"name":"' . ('x' x 70000) . '"}');
ok_problem($res, 413, 'a body over CharonMaxBodySize: 413');

# ---- PATCH -------------------------------------------------------------------
$res = adm(PATCH => "crons/$S", json => { grace => 900, schedule => '@hourly',
                                          timezone => undef },
           ctype => 'application/merge-patch+json',
           headers => ['If-Match' => $etag]);
$d = ok_json($res, 'PATCH: 200 with the cron changed',
    fields => { grace => 900, schedule => '@hourly', name => 'Nightly 3' });
ok(!defined $d->{timezone}, 'null puts a field back to its default');
my $etag3 = $res->header('ETag');
$res = adm(PATCH => "crons/$S", json => { grace => 901 },
           headers => ['If-Match' => $etag]);
ok_problem($res, 412, 'PATCH with the ETag before: 412');
$res = adm(PATCH => 'crons/adm-no-such', json => { grace => 60 });
ok_problem($res, 404, 'PATCH of no cron: 404');

# Two PATCHes with the same ETag: one wins, the other gets 412.
my @race = fork_race(2, sub {
    my ($i) = @_;
    return adm(PATCH => "crons/$S", json => { grace => 1000 + $i },
               headers => ['If-Match' => $etag3]);
});
my @codes = sort map { $_->code } @race;
ok("@codes" eq '200 412', 'two PATCHes, one ETag: one 200, one 412')
    or diag("got @codes");
my ($won) = grep { $_->code == 200 } @race;
my $grace = crow($S)->{grace};
ok($won && decode_body($won)->{grace} == $grace,
   'the winner is what the database holds') or diag("grace $grace");

# ---- dry runs ------------------------------------------------------------------
$before = audit_count($S);
$etag = adm(GET => "crons/$S")->header('ETag');
$res = adm(PATCH => "crons/$S?dry_run=1", json => { grace => 120 });
ok_json($res, 'a dry PATCH answers the cron it would make',
    fields => { grace => 120 }, headers => { 'Charon-Dry-Run' => '1' });
ok(crow($S)->{grace} == $grace
   && adm(GET => "crons/$S")->header('ETag') eq $etag,
   'and changes nothing');
fresh('adm-dry');
$res = adm(PUT => 'crons/adm-dry?dry_run=1', json => { name => 'Dry' });
ok_json($res, 'a dry PUT of a new cron: 201', status => 201,
    headers => { 'Charon-Dry-Run' => '1' });
ok(!cron_id('adm-dry'), 'and creates nothing');
$res = adm(DELETE => "crons/$S?dry_run=1&executions=delete");
ok($res->code == 204 && ($res->header('Charon-Dry-Run') // '') eq '1',
   'a dry DELETE: 204') or diag($res->as_string);
ok(cron_id($S), 'and deletes nothing');
$res = adm(POST => "crons/$S/off?dry_run=1", json => { reason => 'dry' });
ok_json($res, 'a dry off: 200', bools => { active => 0 });
ok(crow($S)->{active} == 1, 'and switches nothing off');
ok(audit_count($S) == $before, 'dry runs record nothing');
$res = adm(PATCH => "crons/$S?dry_run=maybe", json => { grace => 60 });
ok_problem($res, 400, 'dry_run=maybe: 400');

# ---- the record of changes -------------------------------------------------------
$res = adm(GET => "audit?slug=$S&limit=2");
$d = ok_json($res, 'GET audit: 200', keys => [qw(items next_cursor)]);
my @items = @{ $d->{items} || [] };
ok(@items == 2 && defined $d->{next_cursor}, 'a page of 2 with a next');
ok($items[0]{action} eq 'patch' && $items[0]{who} eq 'key:adm-write'
   && $items[0]{after}{grace} == $grace && $items[0]{before}{slug} eq $S)
    or diag(JSON->new->canonical->encode($items[0] // {}));
my %actions;
my $cursor = $d->{next_cursor};
$actions{ $_->{action} }++ for @items;
while (defined $cursor) {
    $d = decode_body(adm(GET => "audit?slug=$S&limit=2&cursor=$cursor"));
    $actions{ $_->{action} }++ for @{ $d->{items} };
    $cursor = $d->{next_cursor};
}
ok(join(',', map { "$_=$actions{$_}" } sort keys %actions)
   eq 'create=1,off=1,on=1,patch=2,replace=2')
    or diag(join ',', map { "$_=$actions{$_}" } sort keys %actions);
# The manager page shows them.
$res = req(GET => '/charon-manager?cron=' . cron_id($S), headers => [
    Authorization => 'Basic ' . MIME::Base64::encode_base64(
        'operator:operator-test-pw', '')]);
my ($changes) = ($res->content // '') =~ m{<table id="changes">(.*?)</table>}s;
ok($res->code == 200 && $changes && $changes =~ /key:adm-write/
   && $changes =~ m{<td>patch</td><td class="mono">grace</td>}
   && $changes =~ m{<td>create</td><td class="mono">created</td>},
   "the cron's page lists its changes") or diag($changes // $res->as_string);
$res = adm(GET => 'audit?cursor=abc');
ok_problem($res, 400, 'an audit cursor that was not given: 400',
           field => 'cursor');

# ---- lists of crons ---------------------------------------------------------------
fresh("adm-list-$_") for 1 .. 5;
adm(PUT => "crons/adm-list-$_", json => { name => "List $_" }) for 1 .. 5;
adm(POST => 'crons/adm-list-2/off', json => {});
my (@seen, $pages);
$cursor = undef;
do {
    $res = adm(GET => 'crons?slug=adm-list-*&limit=2'
               . (defined $cursor ? "&cursor=$cursor" : ''));
    $d = decode_body($res) // {};
    push @seen, map { $_->{slug} } @{ $d->{items} || [] };
    $cursor = $d->{next_cursor};
    $pages++;
} while (defined $cursor && $pages < 10);
ok("@seen" eq 'adm-list-1 adm-list-2 adm-list-3 adm-list-4 adm-list-5',
   'paging by cursor lists each cron once, by slug') or diag("@seen");
ok($pages == 3, 'in pages of 2') or diag("$pages pages");
$res = adm(GET => 'crons?slug=adm-list-*&state=off');
$d = decode_body($res);
ok(join(' ', map { $_->{slug} } @{ $d->{items} }) eq 'adm-list-2'
   && !defined $d->{next_cursor}, 'state=off keeps the one switched off');
$res = adm(HEAD => 'crons');
ok_head($res, 200, 'HEAD crons: 200');
for my $q ('limit=0', 'limit=201', 'state=maybe', 'colour=red', 'limit=x') {
    $res = adm(GET => "crons?$q");
    ok_problem($res, 400, "GET crons?$q: 400");
}

# ---- executions and messages --------------------------------------------------------
my $cid = cron_id('adm-list-1');
my @ids = map { start_exec($cid) } 1 .. 3;
end_exec($ids[0], { type => 'success', success => JSON::true });
end_exec($ids[1], { type => 'error', success => JSON::false });
req(POST => "/api/$ids[2]/message", key => KEY_CLEAR,
    json => { type => 'info', message => "line $_" }) for 1 .. 3;
$res = adm(GET => 'crons/adm-list-1/executions');
$d = ok_json($res, 'GET executions: 200', keys => [qw(items next_cursor)]);
ok(join(' ', map { $_->{id} } @{ $d->{items} }) eq join(' ', reverse @ids),
   'newest first') or diag(JSON->new->encode($d));
my %by = map { $_->{id} => $_ } @{ $d->{items} };
ok($by{ $ids[0] }{outcome} eq 'success' && $by{ $ids[0] }{success}
   && $by{ $ids[1] }{outcome} eq 'failure' && !$by{ $ids[1] }{success}
   && $by{ $ids[2] }{outcome} eq 'running'
   && !defined $by{ $ids[2] }{success}
   && $by{ $ids[0] }{application} eq 'app-clear'
   && $by{ $ids[0] }{cron} eq 'adm-list-1');
$d = decode_body(adm(GET => 'crons/adm-list-1/executions?outcome=failure'));
ok(join(' ', map { $_->{id} } @{ $d->{items} }) eq $ids[1],
   'outcome=failure');
$d = decode_body(adm(GET => 'crons/adm-list-1/executions?limit=1'));
ok(@{ $d->{items} } == 1 && $d->{next_cursor} eq $ids[2]);
$d = decode_body(adm(GET => "crons/adm-list-1/executions?limit=2&cursor=$ids[2]"));
ok(join(' ', map { $_->{id} } @{ $d->{items} }) eq "$ids[1] $ids[0]"
   && !defined $d->{next_cursor}, 'the next page') or diag(JSON->new->encode($d));
$d = decode_body(adm(GET => 'crons/adm-list-1/executions?since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z'));
ok(!@{ $d->{items} }, 'since and until');
$res = adm(GET => 'crons/adm-list-1/executions?outcome=fine');
ok_problem($res, 400, 'outcome=fine: 400', field => 'outcome');
$res = adm(GET => 'crons/adm-no-such/executions');
ok_problem($res, 404, 'executions of no cron: 404');

$res = adm(GET => "executions/$ids[2]?limit=2");
$d = ok_json($res, 'GET an execution: 200 with its messages',
    fields => { id => $ids[2], outcome => 'running' });
my $m = $d->{messages} || {};
ok(join('|', map { $_->{message} } @{ $m->{items} || [] }) eq 'line 1|line 2'
   && defined $m->{next_cursor}, 'the first page of messages');
$d = decode_body(adm(GET => "executions/$ids[2]?limit=2&cursor=$m->{next_cursor}"));
ok(join('|', map { $_->{message} } @{ $d->{messages}{items} }) eq 'line 3'
   && !defined $d->{messages}{next_cursor}, 'and the next');
$res = adm(GET => 'executions/99999999999');
ok_problem($res, 404, 'no such execution: 404');
$res = adm(GET => 'executions/abc');
ok_problem($res, 404, 'an id that is not one: 404');

# ---- DELETE ----------------------------------------------------------------------------
$res = adm(DELETE => 'crons/adm-list-1');
ok_problem($res, 409, 'DELETE of a cron with executions: 409');
ok(cron_id('adm-list-1'), 'and it is still there');
$res = adm(DELETE => 'crons/adm-list-1?executions=delete');
ok($res->code == 204 && !length($res->content // ''),
   'DELETE ?executions=delete: 204, no body') or diag($res->as_string);
ok(!cron_id('adm-list-1') && !execution($ids[0]),
   'the cron and its executions are gone');
$res = adm(DELETE => 'crons/adm-list-3');
ok($res->code == 204, 'DELETE of a cron with no executions: 204');
$res = adm(GET => 'crons/adm-list-3');
ok_problem($res, 404, 'GET after DELETE: 404');
$d = decode_body(adm(GET => 'audit?slug=adm-list-3'));
ok($d->{items}[0]{action} eq 'delete' && !defined $d->{items}[0]{after}
   && $d->{items}[0]{before}{slug} eq 'adm-list-3', 'the delete is recorded');

# ---- alerts --------------------------------------------------------------------------
$res = adm(GET => 'alerts');
$d = ok_json($res, 'GET alerts: 200', keys => [qw(channels events)]);
my ($secret) = grep { $_->{name} eq 'mgrsecret' } @{ $d->{channels} || [] };
ok($secret && $secret->{kind} eq 'webhook'
   && $res->content !~ /mgr-secret-token/,
   'channels are listed, their secrets not') or diag($res->content);

# ---- routes and methods ------------------------------------------------------------------
ok_allow(adm(POST => 'crons'), 'GET, HEAD', 'POST crons: 405');
ok_allow(adm(GET => "crons/$S/off"), 'POST', 'GET off: 405');
ok_allow(adm(POST => "crons/$S"), 'GET, HEAD, PUT, PATCH, DELETE',
         'POST a cron: 405');
ok_allow(adm(DELETE => 'alerts'), 'GET, HEAD', 'DELETE alerts: 405');
ok_problem(adm(GET => 'nothing/here'), 404, 'no such route: 404');
ok_problem(adm(GET => "crons/$S/nothing"), 404, 'no such cron route: 404');
ok_problem(adm(GET => 'crons/'), 404, 'crons/ with no slug: 404');

# ---- a database that cannot be opened: 503 ------------------------------------------------
$res = req(GET => '/admin/api/crons', key => 'test-key-adm-nodb-0123456789',
           vhost => 'charon_vhost_nodb');
ok_problem($res, 503, 'no database: 503 with Retry-After',
           headers => { 'Retry-After' => '5' });

fresh($_) for ($S, map { "adm-list-$_" } 1 .. 5);
no_leak_ok();

sub explain_row { my ($r) = @_; return $r ? join(',', %$r) : 'no row' }

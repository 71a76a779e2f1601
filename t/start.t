# GET (and POST) {mount}{cron id}/start.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

plan tests => 26;

my $on  = seed_cron('st-active', 1);
my $off = seed_cron('st-inactive', 0);
my @id = (keys => ['id'], numbers => ['id']);

# ---- GET start (6)
my $t0 = time;
my $d = ok_json(req(GET => "/api/$on/start", key => KEY_CLEAR),
                'GET start: 200 {"id": N}', @id);
my $e1 = $d->{id} // 0;
my $row = execution($e1);
is($row && $row->{cron_id}, $on, 'execution stored for that cron');
ok($row && ts_recent($row->{started_at}),
   'started_at is set, now, in UTC') or diag explain $row;
ok($row && !defined $row->{ended_at} && !defined $row->{success}
   && !defined $row->{type}, 'ended_at, success and type are NULL while running')
    or diag explain $row;
is($row && $row->{api_key}, 'app-clear', "api_key is the key's name");
is($row && $row->{remote_addr}, '127.0.0.1', 'remote_addr is the client address');

# ---- POST start (4)
$d = ok_json(req(POST => "/api/$on/start", key => KEY_CLEAR),
             'POST start (no body): 200 {"id": N}', @id);
my $e2 = $d->{id} // 0;
$row = execution($e2);
ok($row && $row->{cron_id} == $on && $e2 != $e1 && !defined $row->{ended_at},
   'POST start created another execution') or diag explain $row;
$d = ok_json(req(POST => "/api/$on/start", key => KEY_CLEAR,
                 body => 'a=1&b=2', ctype => 'application/x-www-form-urlencoded'),
             'POST start with a form body: 200 (body ignored)', @id);
my $e3 = $d->{id} // 0;
is(count_executions($on), 3, 'three executions now, one per start');

# ---- ids and times grow (2)
ok($e1 < $e2 && $e2 < $e3, 'execution ids increase') or diag "$e1 $e2 $e3";
my ($r1, $r3) = (execution($e1), execution($e3));
ok($r1 && $r3 && ts_epoch($r3->{started_at}) >= ts_epoch($r1->{started_at}),
   'later start has a later (or equal) started_at')
    or diag explain [$r1, $r3];

# ---- several starts in a row give distinct ids (1)
my %seen;
for (1 .. 5) {
    my $x = decode_body(req(GET => "/api/$on/start", key => KEY_CLEAR));
    $seen{ $x->{id} } = 1 if ref $x eq 'HASH' && defined $x->{id};
}
ok(keys(%seen) == 5 && count_executions($on) == 8,
   'five more starts: five new distinct executions')
    or diag 'ids: ' . join(',', sort keys %seen) . ' count '
       . count_executions($on);

# ---- inactive cron: 418, nothing created (5)
ok_problem(req(GET => "/api/$off/start", key => KEY_CLEAR), 418,
           'GET start of an inactive cron: 418');
ok_problem(req(POST => "/api/$off/start", key => KEY_CLEAR), 418,
           'POST start of an inactive cron: 418');
is(count_executions($off), 0, 'no execution created for the inactive cron');

set_active($off, 1);
$d = ok_json(req(GET => "/api/$off/start", key => KEY_CLEAR),
             'the same cron once active: 200', @id);
set_active($off, 0);
ok_problem(req(GET => "/api/$off/start", key => KEY_CLEAR), 418,
           'and 418 again once switched off');

# ---- unknown cron: 404, nothing created (3)
my $total = count_all_executions();
my $absent = $on + $off + 1000000;
ok_problem(req(GET => "/api/$absent/start", key => KEY_CLEAR), 404,
           'start of an unknown cron id: 404');
ok_problem(req(POST => "/api/$absent/start", key => KEY_CLEAR), 404,
           'POST start of an unknown cron id: 404');
is(count_all_executions(), $total, 'no execution created');

# ---- HEAD never creates an execution (2)
my $n = count_executions($on);
ok_allow(req(HEAD => "/api/$on/start", key => KEY_CLEAR), 'GET, POST',
         'HEAD start: 405, Allow: GET, POST', head => 1);
is(count_executions($on), $n, 'HEAD created no execution');

# ---- the id is the cron's id, not its slug (2)
ok_problem(req(GET => '/api/st-active/start', key => KEY_CLEAR), 404,
           'start by slug: 404');
is(count_executions($on), $n, 'start by slug created nothing');

# ---- no secret echoed (1)
no_leak_ok();

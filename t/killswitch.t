# The kill switch with a reason and an end time: can-start and start tell
# why a cron is off and until when; past off_until the cron is on at once
# (computed at each request) and the watchdog tidies the row; the
# endpoints themselves never write active.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use POSIX ();

plan tests => 32;

my @id = (keys => ['id'], numbers => ['id']);
my @can = qw(slug canStart cronId);
my $ISO = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

# off($slug, reason => ..., until => epoch): a seeded cron, switched off
sub off {
    my ($slug, %o) = @_;
    my $id = seed_cron($slug, 0);
    set_cron($id, off_reason => $o{reason}, off_until => $o{until});
    return $id;
}

# ---- reason and until in the future (7)
my $u = POSIX::floor(db_now()) + 3600;       # whole seconds
my $rs = off('ks-reason', reason => 'db migration', until => $u);
my $d = ok_json(req(GET => '/api/ks-reason/can-start', key => KEY_CLEAR),
    'off with reason and until: can-start 200, canStart false, refusal, reason, until',
    keys => [@can, qw(refusal reason until)], numbers => ['cronId'],
    bools => { canStart => 0 },
    fields => { slug => 'ks-reason', cronId => $rs, refusal => 'inactive',
                reason => 'db migration', until => iso_z($u) });
my $stored = cron_row($rs);
ok(($d->{until} // '') =~ $ISO
   && ($d->{until} // '') eq iso_z(ts_epoch($stored->{off_until})),
   'until is ISO 8601 UTC with Z, the stored off_until to the second')
    or diag "until '" . ($d->{until} // 'absent') . "', stored '"
        . ($stored->{off_until} // 'NULL') . "'";
for my $m (qw(GET POST)) {
    ok_problem(req($m => "/api/$rs/start", key => KEY_CLEAR), 418,
               "$m start: 418 with refusal, reason and until",
               fields => { refusal => 'inactive', reason => 'db migration',
                           until => iso_z($u) });
}
is(count_executions($rs), 0, 'nothing created');
is_deeply([refused($rs)], [2, 0],
          'refused_inactive counts the two starts (not can-start)');
my $after = cron_row($rs);
ok($after->{active} == 0 && ($after->{off_reason} // '') eq 'db migration'
   && ts_epoch($after->{off_until}) == $u,
   'the row is unchanged: active 0, reason and until kept')
    or diag explain $after;

# ---- a fraction of a second in off_until: seconds precision (1)
my $fr = off('ks-fraction', reason => 'fraction', until => $u + 0.75);
$d = decode_body(req(GET => '/api/ks-fraction/can-start', key => KEY_CLEAR)) || {};
ok(($d->{until} // '') =~ $ISO
   && grep({ $_ eq ($d->{until} // '') } iso_z($u), iso_z($u + 1)),
   'until with a fraction in the table: answered to the second, with Z')
    or diag 'until: ' . ($d->{until} // 'absent') . ', stored '
        . (cron_row($fr)->{off_until} // 'NULL');

# ---- without reason, with an empty reason, without until, neither (8)
off('ks-noreason', until => $u);
ok_json(req(GET => '/api/ks-noreason/can-start', key => KEY_CLEAR),
        'no reason: can-start has no reason member',
        keys => [@can, qw(refusal until)], bools => { canStart => 0 },
        fields => { refusal => 'inactive', until => iso_z($u) });
ok_problem(req(GET => '/api/' . cron_id('ks-noreason') . '/start', key => KEY_CLEAR),
           418, 'no reason: the 418 has until, no reason',
           fields => { refusal => 'inactive', until => iso_z($u) },
           absent => ['reason']);
off('ks-emptyreason', reason => '', until => $u);
ok_json(req(GET => '/api/ks-emptyreason/can-start', key => KEY_CLEAR),
        'empty reason: no reason member either',
        keys => [@can, qw(refusal until)], bools => { canStart => 0 },
        fields => { refusal => 'inactive' });
ok_problem(req(GET => '/api/' . cron_id('ks-emptyreason') . '/start', key => KEY_CLEAR),
           418, 'empty reason: the 418 has no reason',
           fields => { refusal => 'inactive' }, absent => ['reason']);
my $nu = off('ks-nountil', reason => "backup \"running\"\n\x{e9}");
ok_json(req(GET => '/api/ks-nountil/can-start', key => KEY_CLEAR),
        'reason, no until: no until member; the reason escaped as JSON',
        keys => [@can, qw(refusal reason)], bools => { canStart => 0 },
        fields => { refusal => 'inactive', reason => "backup \"running\"\n\x{e9}" });
ok_problem(req(POST => "/api/$nu/start", key => KEY_CLEAR), 418,
           'reason, no until: the 418 has the reason, no until',
           fields => { refusal => 'inactive', reason => "backup \"running\"\n\x{e9}" },
           absent => ['until']);
# Neither: the feature is unused, so the answers are the contract's, to
# the member (docs/API.md, "Kill switch with a reason and an end").
my $pl = off('ks-plain');
ok_json(req(GET => '/api/ks-plain/can-start', key => KEY_CLEAR),
        'neither: exactly the contract\'s {slug, canStart: false, cronId}',
        keys => \@can, bools => { canStart => 0 });
ok_problem(req(GET => "/api/$pl/start", key => KEY_CLEAR), 418,
           'neither: the contract\'s plain 418, no refusal members',
           absent => [qw(refusal reason until)]);

# ---- until already past: on, without anything switching it on (4)
my $past = off('ks-past', reason => 'maintenance', until => db_now() - 60);
ok_json(req(GET => '/api/ks-past/can-start', key => KEY_CLEAR),
        'until in the past: can-start true, the plain answer',
        keys => \@can, bools => { canStart => 1 }, fields => { cronId => $past });
ok_json(req(GET => "/api/$past/start", key => KEY_CLEAR),
        'until in the past: start 200', @id);
my $row = cron_row($past);
ok(($row->{active} == 0 && ($row->{off_reason} // '') eq 'maintenance'
    && defined $row->{off_until})
   || ($row->{active} == 1 && !defined $row->{off_reason}
       && !defined $row->{off_until}),
   'right after: still active 0 with its reason (or tidied by the watchdog, '
 . 'then reason and until cleared)') or diag explain $row;
is_deeply([refused($past)], [0, 0], 'no refusal counted');

# ---- until expiring while we ask (3)
my $exp_until = db_now() + 2;
my $ex = off('ks-expiring', reason => 'short pause', until => $exp_until);
ok_problem(req(GET => "/api/$ex/start", key => KEY_CLEAR), 418,
           'until 2 s ahead: 418 first', fields => { refusal => 'inactive' });
my ($n418, $got200, @bad) = (1, 0);
wait_until(sub {
    my $t0 = db_now();
    my $res = req(GET => "/api/$ex/start", key => KEY_CLEAR);
    my $t1 = db_now();
    if ($res->code == 418) {
        $n418++;
        push @bad, sprintf('418 asked %.3f s after until', $t0 - $exp_until)
            if $t0 > $exp_until + 0.5;
        return 0;
    }
    push @bad, sprintf('%s answered %.3f s before until', $res->status_line,
                       $exp_until - $t1)
        if $res->code != 200 || $t1 < $exp_until - 0.005;
    $got200 = $res->code == 200;
    return 1;
}, 10);
ok($got200 && !@bad, 'start is 418 until off_until, then 200 (within 10 s)')
    or diag join "\n", "got 200: $got200", @bad;
is_deeply([refused($ex)], [$n418, 0], "refused_inactive counts the $n418 refusals");

# ---- the four endpoints never switch a cron on (setup; checked below)
my $nv = seed_cron('ks-never', 1);
my $X = start_exec($nv) // 0;
set_cron($nv, active => 0, off_reason => 'frozen');
ok_json(req(GET => '/api/ks-never/can-start', key => KEY_CLEAR),
        'off, no until: can-start false', keys => [@can, qw(refusal reason)],
        bools => { canStart => 0 });
ok_problem(req(GET => "/api/$nv/start", key => KEY_CLEAR), 418,
           'off, no until: start 418');
ok_json(req(POST => "/api/$X/message", key => KEY_CLEAR,
            json => { type => 'info', message => 'still working' }),
        'a message to its running execution: 200', @id);
ok_json(end_exec($X), 'the end of its running execution: 200',
        keys => ['id'], fields => { id => $X });

# ---- the watchdog tidies an expired switch (2)
my $td_until = db_now() + 1;
my $td = off('ks-tidy', reason => 'tidy me', until => $td_until);
my @early;
my $tidy = wait_until(sub {
    my $t = db_now();
    my $r = cron_row($td);
    my $done = $r->{active} == 1 && !defined $r->{off_reason}
        && !defined $r->{off_until};
    push @early, sprintf('tidied %.3f s before until', $td_until - $t)
        if $done && $t < $td_until - 0.2;
    return $done;
}, 8);
ok($tidy && !@early, 'after until, the watchdog sets active 1 and clears '
 . 'reason and until, without any request (within 8 s)')
    or diag join "\n", explain(cron_row($td)), @early;
my @others = map { cron_row($_) } $ex, $past;
ok(2 == grep({ $_->{active} == 1 && !defined $_->{off_reason}
               && !defined $_->{off_until} } @others),
   'the crons whose until passed earlier are tidied as well')
    or diag explain \@others;

# ---- ... but a cron off without until stays off (1)
$row = cron_row($nv);
ok($row->{active} == 0 && ($row->{off_reason} // '') eq 'frozen'
   && !defined $row->{off_until},
   'after can-start, start, message, end and watchdog ticks: still off, '
 . 'reason kept') or diag explain $row;

# ---- the 418 counts only on start (1)
is_deeply([refused($nv)], [1, 0], 'refused_inactive 1: only the start counted');

# ---- no secret echoed (1)
no_leak_ok();

# The overlap lock: concurrency = 'forbid' allows one running execution
# per cron; start while it runs is 409 (refusal "locked"), counted in
# refused_locked; switched off beats locked (418).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

plan tests => 33;

my @id = (keys => ['id'], numbers => ['id']);
my @can_keys = qw(slug canStart cronId);
my @locked_keys = (@can_keys, qw(refusal reason runningExecutionId));

sub running_409 {
    my ($res, $holder, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return ok_problem($res, 409, $name,
                      fields => { refusal => 'locked',
                                  runningExecutionId => $holder },
                      numbers => ['runningExecutionId']);
}

# ---- a forbid cron: the second start is refused while the first runs (12)
my $fb = seed_cron('lock-forbid', 1);
set_cron($fb, concurrency => 'forbid');

my $A = ok_json(req(GET => "/api/$fb/start", key => KEY_CLEAR),
                'forbid cron, idle: start 200', @id)->{id} // 0;
my $rowA = execution_rc($A);
ok($rowA && $rowA->{forbid_overlap} == 1 && !defined $rowA->{ended_at},
   'the execution is running and marked as started under forbid')
    or diag explain $rowA;
running_409(req(GET => "/api/$fb/start", key => KEY_CLEAR), $A,
            'second GET start while it runs: 409 locked, runningExecutionId');
running_409(req(POST => "/api/$fb/start", key => KEY_CLEAR), $A,
            'POST start while it runs: 409 locked too');
is(count_executions($fb), 1, 'the refused starts created nothing');
is_deeply([refused($fb)], [0, 2], 'refused_locked counted twice, refused_inactive 0');

ok_json(req(GET => '/api/lock-forbid/can-start', key => KEY_CLEAR),
        'can-start while locked: canStart false, refusal, reason, runningExecutionId',
        keys => \@locked_keys, numbers => [qw(cronId runningExecutionId)],
        bools => { canStart => 0 },
        fields => { slug => 'lock-forbid', cronId => $fb, refusal => 'locked',
                    reason => "execution $A is still running",
                    runningExecutionId => $A });
is_deeply([refused($fb)], [0, 2], 'can-start counts no refusal');

ok_json(end_exec($A), 'the running execution ends: 200 {"id"}',
        keys => ['id'], fields => { id => $A });
ok_json(req(GET => '/api/lock-forbid/can-start', key => KEY_CLEAR),
        'can-start after the end: canStart true, as before',
        keys => \@can_keys, bools => { canStart => 1 },
        fields => { cronId => $fb });
my $B = ok_json(req(POST => "/api/$fb/start", key => KEY_CLEAR),
                'start after the end: 200', @id)->{id} // 0;
running_409(req(GET => "/api/$fb/start", key => KEY_CLEAR), $B,
            'and it holds the lock in turn');
end_exec($B);

# ---- allow: no lock; runs started under allow never hold it (8)
my $al = seed_cron('lock-allow', 1);
my @allow_ids = map {
    ok_json(req(GET => "/api/$al/start", key => KEY_CLEAR),
            "allow cron: start $_ while others run: 200", @id)->{id} // 0
} 1 .. 2;
my @rows = map { execution_rc($_) } @allow_ids;
ok(2 == grep({ $_ && !defined $_->{ended_at} && $_->{forbid_overlap} == 0 } @rows)
   && count_executions($al) == 2,
   'both run at once, neither marked as started under forbid')
    or diag explain \@rows;

set_cron($al, concurrency => 'forbid');
my $C = ok_json(req(GET => "/api/$al/start", key => KEY_CLEAR),
                'switched to forbid: the runs started under allow do not '
              . 'hold the lock: 200', @id)->{id} // 0;
running_409(req(GET => "/api/$al/start", key => KEY_CLEAR), $C,
            'the run started under forbid does: 409, naming it');
end_exec($C);
ok_json(req(GET => "/api/$al/start", key => KEY_CLEAR),
        'once it ended: 200, with the allow runs still running', @id);
set_cron($al, concurrency => 'allow');
ok_json(req(GET => "/api/$al/start", key => KEY_CLEAR),
        'back to allow: 200 although a forbid run is still running', @id);
ok(count_executions($al) == 5
   && 5 == grep({ !defined $_->{ended_at} || $_->{id} == $C }
                @{ executions_of($al) }),
   'five executions, all running but the ended one')
    or diag explain executions_of($al);

# ---- the race: 8 concurrent starts on an idle forbid cron, 6 rounds (4)
my $rc = seed_cron('lock-race', 1);
set_cron($rc, concurrency => 'forbid');
my (@bad_codes, @bad_rows, @bad_409);
my $rounds = 6;
for my $round (1 .. $rounds) {
    my $before = count_executions($rc);
    my @r = fork_race(8, sub {
        my $i = shift;
        req(($i % 2 ? 'POST' : 'GET') => "/api/$rc/start", key => KEY_CLEAR);
    });
    my @codes = map { $_->code } @r;
    my @won = grep { $_->code == 200 } @r;
    if (join(',', sort @codes) ne join(',', 200, (409) x 7)) {
        push @bad_codes, "round $round: statuses @codes; "
            . join(' | ', map { $_->content // '' } grep { $_->code != 409 } @r);
    }
    my $w = @won == 1 ? (decode_body($won[0]) || {})->{id} // 0 : 0;
    my $created = count_executions($rc) - $before;
    push @bad_rows, "round $round: $created executions created, winner $w"
        unless $created == 1 && $w && execution($w);
    for my $x (grep { $_->code == 409 } @r) {
        my $d = decode_body($x) || {};
        push @bad_409, "round $round: " . ($x->content // '')
            unless ($d->{refusal} // '') eq 'locked'
                && ($d->{runningExecutionId} // -1) eq $w;
    }
    end_exec($w) if $w;
}
ok(!@bad_codes, "8 concurrent starts: exactly one 200 and seven 409, $rounds rounds")
    or diag join "\n", @bad_codes;
ok(!@bad_rows, 'exactly one execution created each round, the one answered')
    or diag join "\n", @bad_rows;
ok(!@bad_409, "every 409 is 'locked' and names the winner")
    or diag join "\n", @bad_409;
is_deeply([refused($rc)], [0, 7 * $rounds], 'refused_locked counts every 409');

# ---- off beats locked (6)
my $ob = seed_cron('lock-off', 1);
set_cron($ob, concurrency => 'forbid');
my $E = start_exec($ob) // 0;
set_cron($ob, active => 0, off_reason => 'paused');
ok_problem(req(GET => "/api/$ob/start", key => KEY_CLEAR), 418,
           'locked and switched off: 418 inactive, not 409',
           fields => { refusal => 'inactive', reason => 'paused' },
           absent => [qw(runningExecutionId until)]);
is_deeply([refused($ob)], [1, 0], 'counted in refused_inactive, not refused_locked');
ok_json(req(GET => '/api/lock-off/can-start', key => KEY_CLEAR),
        'can-start: refusal inactive, not locked',
        keys => [@can_keys, qw(refusal reason)], bools => { canStart => 0 },
        fields => { refusal => 'inactive', reason => 'paused', cronId => $ob });
set_cron($ob, active => 1, off_reason => undef);
running_409(req(GET => "/api/$ob/start", key => KEY_CLEAR), $E,
            'switched on again: 409 locked');
is_deeply([refused($ob)], [1, 1], 'now counted in refused_locked');
is(count_executions($ob), 1, 'no execution created by any refused start');

# ---- an allow cron switched off: 418 is counted too (2)
my $off = seed_cron('lock-plain-off', 0);
ok_problem(req(POST => "/api/$off/start", key => KEY_CLEAR), 418,
           'off cron: 418');
is_deeply([refused($off)], [1, 0], 'refused_inactive incremented');

# ---- no secret echoed (1)
no_leak_ok();

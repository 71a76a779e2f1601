# Schedules (docs/API.md, "Schedules"): the schedule a start may carry;
# runs too short; slots the watchdog judges: missed and unknown rows,
# starts bound to their slot, early and late, unscheduled starts, crons
# switched off, schedules it cannot use, a schedule that changes.
#
# The watchdog judges a slot at least 10 s after its deadline, by the
# database's clock, once a second here (CharonWatchdogInterval 1).  The
# tests do not wait for slots to come: they move what the watchdog has
# judged of a cron back in time (rewind_watch) and write runs at the times
# they need, and the module then judges those past slots as it would have
# when they happened.  The expected slots are worked out here, from the
# schedule's arithmetic, never read back from the module.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use POSIX qw(floor);

plan tests => 62;

my @id = (keys => ['id'], numbers => ['id']);

sub cron_cols {
    my $r = dbh()->selectrow_hashref(
        'SELECT schedule, timezone, grace, min_runtime FROM charon_cron '
      . 'WHERE id = ?', undef, $_[0]) || {};
    $r->{grace} += 0 if defined $r->{grace};
    return $r;
}

sub start_with {
    my ($cron, $body, %o) = @_;
    return req(POST => "/api/$cron/start", key => $o{key} // KEY_CLEAR,
               body => $body, ctype => $o{ctype} // 'application/json',
               headers => $o{headers} // []);
}

# Multiples of $step in ($from, $to]: the slots of "@every $step s".
sub every_slots {
    my ($step, $from, $to) = @_;
    my @s;
    for (my $t = (floor($from / $step) + 1) * $step; $t <= $to; $t += $step) {
        push @s, $t;
    }
    return @s;
}

# ---- a start may carry its cron's schedule (15)
my $api = seed_cron('sched-api', 1);
ok_json(start_with($api, '{"schedule": "*/5 * * * *", "timezone": '
                       . '"Europe/Paris", "grace": "2m"}'),
        'start with schedule, timezone and grace: 200', @id);
is_deeply(cron_cols($api), { schedule => '*/5 * * * *', timezone =>
          'Europe/Paris', grace => 120, min_runtime => undef },
          '... stored on the cron (grace as a duration)');
ok_json(start_with($api, '{"schedule": "@daily", "grace": 90}'),
        'start with schedule and grace: 200', @id);
is_deeply(cron_cols($api), { schedule => '@daily', timezone => undef,
          grace => 90, min_runtime => undef },
          '... the three are set together: no timezone is the default');

my $before = count_executions($api);
my @bad = (
    ['{"schedule": "61 * * * *"}', 'schedule', qr/minute.*0-59/],
    ['{"schedule": "* * * *"}', 'schedule', qr/schedule/],
    ['{"schedule": "@reboot"}', 'schedule', qr/schedule/],
    ['{"schedule": 42}', 'schedule', qr/string/],
    ['{"schedule": "@daily", "timezone": "Mars/Olympus"}', 'timezone',
     qr/time zone/],
    ['{"schedule": "@daily", "grace": 0}', 'grace', qr/1 to 31622400/],
    ['{"schedule": "@daily", "grace": "5x"}', 'grace', qr/duration/],
    ['{"timezone": "UTC"}', 'timezone', qr/without 'schedule'/],
);
my @wrong;
for my $b (@bad) {
    my $res = start_with($api, $b->[0]);
    my $d = decode_body($res);
    push @wrong, "$b->[0]: " . CharonTest::describe($res)
        unless $res->code == 422 && ref $d eq 'HASH'
            && ($d->{field} // '') eq $b->[1]
            && ($d->{detail} // '') =~ $b->[2];
}
ok(!@wrong, 'a schedule, zone or grace the module cannot read: 422 naming '
          . 'the member, the reason in detail') or diag join "\n", @wrong;
is(count_executions($api), $before, '... and no execution is created');
is_deeply(cron_cols($api), { schedule => '@daily', timezone => undef,
          grace => 90, min_runtime => undef }, '... and nothing is stored');
ok_problem(start_with($api, '[1]'), 400, 'a JSON body that is no object: 400');
ok_json(start_with($api, ''), 'an empty JSON body is no body: 200', @id);
ok_json(start_with($api, '{"schedule": "@hourly"}', ctype => 'text/plain'),
        'a body of another type is ignored: 200', @id);
is(cron_cols($api)->{schedule}, '@daily', '... and sets nothing');
ok_json(start_with($api, '{"schedule": null}'),
        'schedule null: 200', @id);
is(cron_cols($api)->{schedule}, undef, '... the cron is unscheduled');

# Set before the start is decided: a refused start still sets it.
set_active($api, 0);
ok_problem(start_with($api, '{"schedule": "0 3 * * *"}'), 418,
           'start of a cron switched off, with a schedule: 418');
is(cron_cols($api)->{schedule}, '0 3 * * *', '... the schedule is stored');
set_active($api, 1);

# ---- Idempotency-Key: the body is part of the request (2)
my $ik = "sched-$$-" . int(hires_time() * 1000);
ok_json(start_with($api, '{"schedule": "0 4 * * *"}',
                   headers => ['Idempotency-Key' => $ik]),
        'start with a schedule and an Idempotency-Key: 200', @id);
ok_problem(start_with($api, '{"schedule": "0 5 * * *"}',
                      headers => ['Idempotency-Key' => $ik]), 422,
           'the same key with another schedule: 422 (another request)');

# ---- runs too short (3)
my $short = seed_cron('sched-short', 1);
set_schedule($short, undef, undef, 300, 3600);
my $e = start_exec($short) // 0;
ok_json(end_exec($e), 'end of a run of a cron with min_runtime 3600', @id);
is(exec_sched($e)->{too_short}, 1, '... the run is marked too short');
set_schedule($short, undef, undef, 300, 5);
$e = insert_execution($short, started_at => db_now() - 60);
end_exec($e);
is(exec_sched($e)->{too_short}, 0,
   'a run longer than min_runtime is not too short');

# ---- a slot with no start: one missed row per slot (7)
my $now = floor(db_now());
my $m = seed_cron('sched-missed', 1);
set_schedule($m, '@every 1m', undef, 30);
my $given = db_now();
my $mw0 = wait_watched($m);
ok($mw0, 'the watchdog watches a cron given a schedule');
ok(($mw0->{checked_until} // 0) >= floor($given) + 30 - 1,
   '... from its first slot after that: none of the grace before it')
    or diag explain [$given, $mw0];
my $t0 = $now - 600;
my $w = rewind_watch($m, $t0);
ok($w, 'moved back 10 minutes, its slots are judged again') or diag 'no';
$w ||= {};
# Judged: the slots after t0 - grace whose deadline (slot + 30) is at the
# new checked_until or before; each deadline at least 10 s back.
my @want = every_slots(60, $t0 - 30, ($w->{checked_until} // 0) - 30);
my $rows = slot_rows($m);
is_deeply([map { $_->{slot} } @$rows], \@want,
          'one missed row per slot with no start, each slot once')
    or diag explain { got => [map { $_->{slot} } @$rows], want => \@want };
ok(@want >= 8 && ($w->{checked_until} // 0) <= floor(db_now()) - 10,
   'about ten slots judged, none with a deadline in the last 10 s')
    or diag explain $w;
my @bad_rows = grep { $_->{started_at} != $_->{slot}
    || $_->{ended_at} != $_->{slot} || $_->{missed} ne 'missed'
    || defined $_->{success} || $_->{api_key} ne '' } @$rows;
ok(@$rows && !@bad_rows, 'each: started_at = ended_at = slot, missed, '
   . 'no success, no key') or diag explain \@bad_rows;
my $st = cron_stats($m);
ok($st->{runs_missed} == @want && ($st->{last_missed_at} // 0) == $want[-1],
   'runs_missed counts them, last_missed_at is the latest')
    or diag explain $st;
is(watch_row($m)->{last_state}, 'missed', 'the latest slot judged: missed');

# ---- judged again: nothing twice (2)
$w = rewind_watch($m, $t0);
$rows = slot_rows($m);
my %seen;
my @dup = grep { $seen{$_->{slot}}++ } @$rows;
ok($w && !@dup && @$rows >= @want,
   'the same slots judged again: still one row each') or diag explain \@dup;
is(cron_stats($m)->{runs_missed}, scalar(@$rows),
   '... and not counted again');

# ---- starts bound to their slot; early, late, unscheduled (9)
# @every 5m with a grace of 60 s: a start in [slot - 60, slot + 60]
# belongs to the slot; between two windows it fits none.
my $b = seed_cron('sched-bind', 1);
set_schedule($b, '@every 5m', undef, 60);
ok(wait_watched($b), 'the watchdog watches it');
$t0 = floor(($now - 3600) / 300) * 300;
my %run = (
    on_time    => $t0 + 300 + 5,
    early      => $t0 + 600 - 30,
    late       => $t0 + 900 + 50,
    between    => $t0 + 1200 + 150,
    too_early  => $t0 + 1500 - 90,
);
my %eid = map { $_ => insert_execution($b, started_at => $run{$_},
    ended_at => $run{$_} + 1, success => 1, type => 'success') } keys %run;
# A start through the API too, moved to its time afterwards.
my $api_run = start_exec($b) // 0;
dbh()->do('UPDATE charon_execution SET started_at = ? WHERE id = ?', undef,
          db_ts($t0 + 2100 + 10), $api_run);
$w = rewind_watch($b, $t0 - 1) || {};
is(exec_sched($eid{on_time})->{slot}, $t0 + 300,
   'a start 5 s after its slot belongs to it');
is(exec_sched($eid{early})->{slot}, $t0 + 600,
   'a start 30 s early belongs to the slot');
is(exec_sched($eid{late})->{slot}, $t0 + 900,
   'a start 50 s late, within grace, belongs to the slot');
is(exec_sched($api_run)->{slot}, $t0 + 2100, 'a start through the API too');
my @u = map { exec_sched($eid{$_}) } qw(between too_early);
ok(!defined $u[0]{slot} && $u[0]{unscheduled} && !defined $u[1]{slot}
   && $u[1]{unscheduled},
   'a start between two windows, or 90 s early, is unscheduled')
    or diag explain \@u;
is(cron_stats($b)->{runs_unscheduled}, 2, '... and counted');
my %bound = map { $_ => 1 } $t0 + 300, $t0 + 600, $t0 + 900, $t0 + 2100;
@want = grep { !$bound{$_} }
    every_slots(300, $t0 - 1 - 60, ($w->{checked_until} // 0) - 60);
is_deeply([map { $_->{slot} } @{ slot_rows($b) }], \@want,
          'every other slot is missed, the one of the early start too')
    or diag explain [map { $_->{slot} } @{ slot_rows($b) }];
ok(grep({ $_ == $t0 + 1500 } @want), '(slot t0 + 25 min is among them)');
is(exec_sched($eid{between})->{missed}, undef,
   'an unscheduled start is no missed row');
set_schedule($b, undef);    # judged no more: its counts stay as they are

# ---- nearer slot where windows overlap (2)
# @every 1m with a grace of 50 s: a start 40 s after a slot is nearer to
# the next one.
my $o = seed_cron('sched-overlap', 1);
set_schedule($o, '@every 1m', undef, 50);
ok(wait_watched($o), 'watched');
$t0 = floor(($now - 900) / 60) * 60;
my $o1 = insert_execution($o, started_at => $t0 + 60 + 20);
my $o2 = insert_execution($o, started_at => $t0 + 120 + 40);
rewind_watch($o, $t0);
ok(exec_sched($o1)->{slot} == $t0 + 60 && exec_sched($o2)->{slot} == $t0 + 180,
   'overlapping windows: each start belongs to the nearer slot')
    or diag explain [exec_sched($o1), exec_sched($o2)];
set_schedule($o, undef);

# ---- while the module could not look: unknown, not missed (4)
my $u = seed_cron('sched-unknown', 1);
set_schedule($u, '@every 5m', undef, 60);
ok(wait_watched($u), 'watched');
$t0 = floor(($now - 3600) / 300) * 300;
# As if no tick had run from t0 + 250 to t0 + 1000 (the heartbeat keeps
# the last outage as it is while ticks come on time).
dbh()->do('UPDATE charon_watchdog SET outage_from = ?, outage_to = ?',
          undef, db_ts($t0 + 250), db_ts($t0 + 1000));
$w = rewind_watch($u, $t0 - 1) || {};
dbh()->do('UPDATE charon_watchdog SET outage_from = NULL, outage_to = NULL');
my %kind = map { $_->{slot} => $_->{missed} } @{ slot_rows($u) };
is_deeply([@kind{$t0 + 300, $t0 + 600, $t0 + 900}],
          [qw(unknown unknown unknown)],
          'slots whose deadline fell in the outage: unknown')
    or diag explain \%kind;
ok(($kind{$t0} // '') eq 'missed' && ($kind{$t0 + 1200} // '') eq 'missed',
   'the slots before and after it: missed') or diag explain \%kind;
my $ust = cron_stats($u);
ok($ust->{runs_unknown} == 3
   && $ust->{runs_missed} == scalar(grep { $_ eq 'missed' } values %kind),
   'runs_unknown and runs_missed count each kind') or diag explain $ust;
set_schedule($u, undef);

# ---- the heartbeat records an outage (1)
dbh()->do('UPDATE charon_watchdog SET seen_at = ?', undef,
          db_ts($now - 3600));
my $out = wait_until(sub {
    my $r = dbh()->selectrow_hashref(
        'SELECT outage_from, outage_to FROM charon_watchdog WHERE id = 1');
    $r && defined $r->{outage_to} ? $r : undef;
}, 10) || {};
ok(abs((ts_epoch($out->{outage_from}) // 0) - ($now - 3600)) < 1
   && abs((ts_epoch($out->{outage_to}) // 0) - db_now()) < 10,
   'no tick for an hour: the next one records the outage') or diag explain $out;
dbh()->do('UPDATE charon_watchdog SET outage_from = NULL, outage_to = NULL');

# ---- switched off: no missed slots (3)
my $f = seed_cron('sched-off', 0);
set_schedule($f, '@every 1m', undef, 30);
ok(wait_watched($f), 'a cron switched off is watched too');
ok(wait_until(sub { (watch_row($f) || {})->{off_seen} }, 10),
   'the watchdog sees it off');
# rewind_watch clears off_seen: wait until a tick has seen it off again
# before its slots are judged (the rewind leaves next_deadline in the past).
dbh()->do('UPDATE charon_cron_watch SET checked_until = ?, starts_until = '
        . '?, next_deadline = ? WHERE cron_id = ?', undef,
          (db_ts($now - 600)) x 3, $f);
wait_until(sub { ((watch_row($f) || {})->{checked_until} // 0) > $now - 600 },
           20);
is(scalar @{ slot_rows($f) }, 0, 'its slots while off are not missed');
set_schedule($f, undef);

# ---- a schedule that cannot be used (4)
my $x = seed_cron('sched-invalid', 1);
set_schedule($x, '61 * * * *', undef, 300);
my $xw = wait_until(sub { my $r = watch_row($x); $r && $r->{error} ? $r : undef }, 15);
like(($xw || {})->{error} // '', qr/minute/,
     'a schedule set by SQL that does not parse: the watch row says why');
my $z = seed_cron('sched-badzone', 1);
set_schedule($z, '@hourly', 'Mars/Olympus', 300);
my $zw = wait_until(sub { my $r = watch_row($z); $r && $r->{error} ? $r : undef }, 15);
like(($zw || {})->{error} // '', qr/time zone/, '... a zone ICU does not know too');
sleep 3;    # more ticks: logged once only
my $log = do { local (@ARGV, $/) = Apache::Test::vars('t_logs') . '/error_log'; <> } // '';
my @l310 = $log =~ /CHARON310: cron sched-invalid: /g;
is(scalar @l310, 1, 'logged once (CHARON310), however many ticks') or diag scalar @l310;
set_schedule($x, '@hourly', undef, 300);
ok(wait_until(sub { my $r = watch_row($x); $r && $r->{schedule} eq '@hourly'
                    && !defined $r->{error} }, 15),
   'changed: judged again, the reason gone');
set_schedule($_, undef) for $x, $z;

# ---- a schedule that changes starts afresh (2)
# Its watch row an hour back and a new schedule, at once: the new
# schedule's slots of that hour must not be judged.
my $tc = floor(db_now());
dbh()->begin_work;
dbh()->do('UPDATE charon_cron_watch SET checked_until = ?, starts_until = ?, '
        . 'next_deadline = ? WHERE cron_id = ?', undef,
          (db_ts($tc - 3600)) x 3, $m);
set_schedule($m, '@every 2m', undef, 30);
dbh()->commit;
my $mw = wait_watched($m) || {};
ok(($mw->{checked_until} // 0) >= $tc - 1 && !defined $mw->{last_state},
   'a changed schedule: judged from the change on') or diag explain $mw;
sleep 3;
my @old = grep { $_->{slot} > $tc - 3600 && $_->{slot} < $t0 - 30 }
    @{ slot_rows($m) };
is(scalar @old, 0, '... no slot of the new schedule before it is missed')
    or diag explain \@old;
set_schedule($m, undef);

# ---- metrics and health (6)
my $rp = seed_cron('sched-report', 1);
set_schedule($rp, '@every 1m', undef, 30);
ok(wait_watched($rp) && rewind_watch($rp, floor(db_now()) - 300),
   'a cron that missed its slots');
my $n1 = cron_stats($rp)->{runs_missed};
my $met = req(GET => '/charon-metrics')->content // '';
my $n2 = cron_stats($rp)->{runs_missed};
my ($mc) = $met =~ /^charon_cron_executions_total\{slug="sched-report",outcome="missed"\} (\d+)$/m;
ok(defined $mc && $n1 >= 4 && $mc >= $n1 && $mc <= $n2,
   'metrics: outcome="missed" counts its missed slots')
    or diag explain [$mc, $n1, $n2];
my ($uc) = $met =~ /^charon_cron_executions_total\{slug="sched-unknown",outcome="unknown"\} (\d+)$/m;
is($uc, 3, 'metrics: outcome="unknown" counts the unknown ones');
my ($us) = $met =~ /^charon_cron_unscheduled_starts_total\{slug="sched-bind"\} (\d+)$/m;
is($us, 2, 'metrics: the unscheduled starts');
my ($ns) = $met =~ /^charon_cron_next_slot_timestamp_seconds\{slug="sched-report"\} (\d+)$/m;
my $tm = db_now();
ok(defined $ns && $ns % 60 == 0 && $ns > $tm - 5 && $ns <= $tm + 60,
   'metrics: its next slot, the next whole minute') or diag explain [$ns, $tm];
my $health = req(GET => '/charon-health?crons')->content // '';
like($health, qr/^WARNING: .*that missed (?:its|their) latest slot: .*sched-report/,
     'health ?crons names the crons that missed their latest slot');
set_schedule($rp, undef);

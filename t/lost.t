# Lost runs: the watchdog marks lost_at on executions running past their
# cron's max_runtime; a lost run no longer holds the overlap lock; its
# late end is still recorded and answered {"id", "late": true, "lostAt"}.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

plan tests => 21;

my @id = (keys => ['id'], numbers => ['id']);
my $ISO = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

sub lost_at { (execution_rc($_[0]) || {})->{lost_at} }

# Runs that must not be marked: within max_runtime, or no max_runtime.
my $long = seed_cron('lost-long', 1);
set_cron($long, max_runtime => 3600);
my $L3 = start_exec($long) // 0;
my $never = seed_cron('lost-never', 1);
my $N = insert_execution($never, started_at => db_now() - 2 * 86400);

# ---- the watchdog marks a run past max_runtime (3)
my $c1 = seed_cron('lost-allow', 1);
set_cron($c1, max_runtime => 1);
my $L1 = ok_json(req(GET => "/api/$c1/start", key => KEY_CLEAR),
                 'cron with max_runtime 1: start 200', @id)->{id} // 0;
my $lost = wait_until(sub { lost_at($L1) }, 10);
ok(defined $lost, 'the watchdog sets lost_at within 10 s');
my $r = execution_rc($L1) || {};
my ($st, $la) = (ts_epoch($r->{started_at}), ts_epoch($r->{lost_at}));
ok(defined $st && defined $la && $la >= $st + 1 - 0.01 && $la <= db_now() + 0.01
   && !defined $r->{ended_at} && !defined $r->{success} && !defined $r->{type},
   'lost_at is at least max_runtime after started_at, not in the future; '
 . 'the run is still not ended') or diag explain $r;

# ---- ... and only such runs (2)
ok(!defined lost_at($L3), 'a run within its max_runtime (3600 s) is not marked')
    or diag explain execution_rc($L3);
ok(!defined lost_at($N), 'a run of a cron without max_runtime is never marked, '
 . 'even 2 days old') or diag explain execution_rc($N);

# ---- messages and the late end of a lost run (7)
ok_json(req(POST => "/api/$L1/message", key => KEY_CLEAR,
            json => { type => 'warning', message => 'still here' }),
        'message to a lost run: 200', @id);
is(count_messages($L1), 1, 'the message is stored');
my $d = ok_json(end_exec($L1, { type => 'error', success => JSON::false,
                                message => 'late end' }),
        'end of a lost run: 200 {"id", "late": true, "lostAt"}',
        keys => [qw(id late lostAt)], fields => { id => $L1 },
        bools => { late => 1 });
ok(($d->{lostAt} // '') =~ $ISO
   && grep({ $_ eq ($d->{lostAt} // '') } iso_z($la), iso_z(($la // 0) + 1)),
   'lostAt is the stored lost_at, ISO 8601 UTC with Z, to the second')
    or diag 'lostAt ' . ($d->{lostAt} // 'absent') . ', stored '
        . ($r->{lost_at} // 'NULL');
$r = execution_rc($L1) || {};
ok(defined $r->{ended_at} && ts_recent($r->{ended_at}, 60)
   && defined $r->{success} && $r->{success} == 0
   && ($r->{type} // '') eq 'error'
   && ($r->{lost_at} // '') eq ($lost // 'x'),
   'the end is stored (ended_at, success, type), lost_at kept')
    or diag explain $r;
is_deeply([map { "$_->{type}:$_->{message}" } @{ messages_of($L1) }],
          ['warning:still here', 'error:late end'],
          "the end's message is stored after the earlier one");
ok_problem(end_exec($L1), 409, 'a second end of the lost run: 409');

# ---- a normal end has no "late" (1)
my $L4 = start_exec($long) // 0;
ok_json(end_exec($L4), 'normal end: {"id"} only, no late, no lostAt',
        keys => ['id'], fields => { id => $L4 });

# ---- forbid: a lost run no longer holds the lock (5)
my $fb = seed_cron('lost-forbid', 1);
set_cron($fb, concurrency => 'forbid', max_runtime => 1);
my $F1 = ok_json(req(GET => "/api/$fb/start", key => KEY_CLEAR),
                 'forbid cron, max_runtime 1: start 200', @id)->{id} // 0;
ok_problem(req(GET => "/api/$fb/start", key => KEY_CLEAR), 409,
           'a second start at once: 409 locked',
           fields => { refusal => 'locked', runningExecutionId => $F1 });
ok(defined wait_until(sub { lost_at($F1) }, 10),
   'the run is marked lost within 10 s');
my $F2 = ok_json(req(GET => "/api/$fb/start", key => KEY_CLEAR),
                 'once it is lost: start 200', @id)->{id} // 0;
ok_problem(req(GET => "/api/$fb/start", key => KEY_CLEAR), 409,
           'the new run holds the lock',
           fields => { refusal => 'locked', runningExecutionId => $F2 });

# ---- overdue but not yet marked: start does not wait for the watchdog (2)
my $ov = seed_cron('lost-overdue', 1);
set_cron($ov, concurrency => 'forbid', max_runtime => 3600);
my $O = insert_execution($ov, started_at => db_now() - 7200, forbid_overlap => 1);
ok_json(req(GET => "/api/$ov/start", key => KEY_CLEAR),
        'a forbid run 2 h into a 1 h max_runtime does not hold the lock: 200', @id);
ok(defined lost_at($O), 'and it is marked lost')
    or diag explain execution_rc($O);

# ---- no secret echoed (1)
no_leak_ok();

# charon-run (tools/, docs/CHARON-RUN.md) against the real module: each
# scenario runs the wrapper with a small job and reads back what the
# database recorded.  SQLite only: charon-run is a client of the API,
# whose behaviour on every database the other files test; its own
# behaviour does not depend on the database.
#
# The binary is built here from tools/*.c and the module's schedules
# (src/lib/schedule.c, slots.c, civil.c; cc -Werror, libcurl, ICU), like
# t/plans.t builds its helper, so that the suite tests the sources of the
# tree; CHARON_RUN_BIN=/path/to/charon-run tests another build.  On
# SQLite a build that fails is a failure of every test, never a skip.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use File::Temp ();
use IO::Socket::INET;
use POSIX ();
use Time::HiRes ();

my $kind = db_kind();
plan skip_all => "charon-run is tested on the SQLite pass only (this is "
    . "$kind): it is a client of the API, and its behaviour does not depend "
    . "on the database" unless $kind eq 'sqlite';

my $TESTS = 117;
plan tests => $TESTS;

my $top = "$FindBin::Bin/..";
my $tmp = File::Temp->newdir;
my ($BIN, $build_log) = build_charon_run("$tmp");
unless (ok(-x $BIN, "charon-run built from tools/*.c ($BIN)")) {
    diag "build output:\n$build_log\n(needs cc, libcurl4-openssl-dev and libicu-dev: scripts/deps.sh)";
    fail("charon-run is missing: not tested") for 2 .. $TESTS;
    exit 0;
}

my $URL = Apache::TestRequest::resolve_url('/api/');
my $KEY = KEY_GLOBAL;
my $n_run = 0;

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    binmode $fh;
    local $/;
    my $s = <$fh>;
    return $s // '';
}

sub spew {
    my ($f, $text, $mode) = @_;
    open my $fh, '>', $f or die "write $f: $!";
    print {$fh} $text;
    close $fh;
    chmod $mode, $f if defined $mode;
}

# run_cr(args => [...], env => {NAME => value|undef}, during => sub { $pid },
#        limit => seconds): runs charon-run with CHARON_URL and
# CHARON_API_KEY (unless env says otherwise), no configuration file of
# the machine's ($HOME and XDG_CONFIG_HOME are in the temporary folder).
# Returns { code, sig, out, err, secs, pid }.
sub run_cr {
    my (%o) = @_;
    my $i = ++$n_run;
    my ($out, $err) = ("$tmp/out.$i", "$tmp/err.$i");
    my %env = (PATH => $ENV{PATH} // '/usr/bin:/bin', LANG => 'C.UTF-8',
               HOME => "$tmp/home", XDG_CONFIG_HOME => "$tmp/xdg",
               CHARON_URL => $URL, CHARON_API_KEY => $KEY,
               %{ $o{env} || {} });
    mkdir "$tmp/home";
    mkdir "$tmp/xdg";
    my $t0 = Time::HiRes::time();
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>', $err;
        %ENV = map { defined $env{$_} ? ($_ => $env{$_}) : () } keys %env;
        # charon-run starts with 0, 1 and 2 only, like under cron
        POSIX::close($_) for 3 .. 255;
        exec({ $BIN } $BIN, @{ $o{args} }) or POSIX::_exit(250);
    }
    $o{during}->($pid) if $o{during};
    my $limit = $o{limit} // 90;
    my $st;
    while (1) {
        my $w = waitpid $pid, POSIX::WNOHANG();
        if ($w == $pid) { $st = $?; last }
        if (Time::HiRes::time() - $t0 > $limit) {
            kill_tree($pid);
            waitpid $pid, 0;
            $st = $?;
            diag "charon-run @{ $o{args} } still running after $limit s: killed";
            last;
        }
        Time::HiRes::sleep(0.05);
    }
    return { code => $st >> 8, sig => $st & 127, out => slurp($out),
             err => slurp($err), secs => Time::HiRes::time() - $t0,
             pid => $pid };
}

# The text of the last message (the final one), '' when there is none.
sub last_text {
    my ($m) = @_;
    return @$m ? $m->[-1]{message} // '' : '';
}

# SIGKILL to charon-run and to its job's process group (the job has one
# of its own: it would live on after charon-run).
sub kill_tree {
    my ($pid) = @_;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my ($ppid, $pgrp) = slurp($stat) =~ /^\d+ \(.*\) \S (\d+) (\d+)/ or next;
        kill KILL => -$pgrp if $ppid == $pid && $pgrp > 1;
    }
    kill KILL => $pid;
}

sub show_run {
    my ($r) = @_;
    my $err = $r->{err};
    $err = substr($err, 0, 2000) . '...' if length $err > 2000;
    return sprintf "exit %d (signal %d) after %.2f s\nstderr: %s",
        $r->{code}, $r->{sig}, $r->{secs}, $err;
}

# The one execution of a cron, with its messages (the final message last).
sub the_run {
    my ($cron) = @_;
    my $ex = executions_of($cron);
    return (undef, []) unless @$ex == 1;
    return ($ex->[0], messages_of($ex->[0]{id}));
}

sub ended_ok {
    my ($e, $success, $type) = @_;
    return $e && defined $e->{ended_at} && defined $e->{success}
        && $e->{success} == $success && ($e->{type} // '') eq $type;
}

# ---------------------------------------------------------------------
# 1. A job that succeeds, with bytes the API would refuse (2 + 9 tests)

my $c_ok = seed_cron('cr-ok', 1);
my $envfile = "$tmp/env.ok";
my $r = run_cr(args => ['-v', 'cr-ok', '--', 'sh', '-c',
    'echo hello; echo "to stderr" >&2; printf "bad \\377 byte\\n"; '
  . 'printf "nul\\000byte\\n"; env > ' . $envfile . '; echo done']);
is($r->{code}, 0, 'success: charon-run exits 0') or diag show_run($r);
ok($r->{out} =~ /^hello\n/ && $r->{out} =~ /done\n\z/
   && $r->{err} =~ /^to stderr$/m,
   'the job\'s stdout and stderr are passed through')
    or diag "stdout: $r->{out}\n" . show_run($r);
my ($e, $m) = the_run($c_ok);
ok(ended_ok($e, 1, 'success'), 'one execution, ended, success true, type success')
    or diag explain [$e, $m];
is($e && $e->{api_key}, 'app-global', 'recorded under the key\'s name');
my ($info) = grep { $_->{type} eq 'info' && $_->{message} =~ /hello/ } @$m;
ok($info && $info->{message} eq "hello\nbad \xEF\xBF\xBD byte\nnul\xEF\xBF\xBDbyte\ndone",
   'stdout lines in one info message; invalid UTF-8 and NUL as U+FFFD')
    or diag explain $m;
ok(grep({ $_->{type} eq 'warning' && $_->{message} eq 'to stderr' } @$m),
   'the stderr line as a warning') or diag explain $m;
my $final = @$m ? $m->[-1] : {};
ok(($final->{type} // '') eq 'success'
   && ($final->{message} // '') =~ /^exit status 0 after \d+\.\d\d s; 2 bytes of invalid UTF-8 or NUL shown as U\+FFFD$/,
   'final message: exit status 0, the duration, the bytes repaired')
    or diag explain $final;
is(scalar @$m, 3, 'three messages: stdout batch, stderr batch, the end');
my $env = slurp($envfile);
ok($e && $env =~ /^CHARON_EXECUTION_ID=\Q$e->{id}\E$/m
   && $env =~ /^CHARON_CRON_ID=\Q$c_ok\E$/m,
   'the job gets CHARON_EXECUTION_ID and CHARON_CRON_ID') or diag $env;
ok($env ne '' && $env !~ /CHARON_API_KEY/ && index($env, $KEY) < 0,
   'the job does not get the API key') or diag $env;
ok(index($r->{err} . $r->{out}, $KEY) < 0 && $r->{err} =~ /can-start: 200/,
   '--verbose says what it does, never the key') or diag $r->{err};
# the start went with an Idempotency-Key: the same key gets the same
# execution back, and creates none
my ($idem) = $r->{err} =~ m{POST \S+/api/\Q$c_ok\E/start \[Idempotency-Key: ([^\]]+)\]: 200};
my $replay = req(POST => "/api/$c_ok/start", key => $KEY,
                 headers => ['Idempotency-Key' => $idem // 'none']);
ok($idem && $replay->code == 200
   && ($replay->header('Idempotent-Replayed') // '') eq 'true'
   && (decode_body($replay) || {})->{id} == ($e ? $e->{id} : -1),
   'start was sent with an Idempotency-Key: a retry would get the same execution')
    or diag(($idem // 'no key in: ' . $r->{err}) . "\n" . $replay->as_string);
is(count_executions($c_ok), 1, 'and would create no other');

# ---------------------------------------------------------------------
# 2. A job that fails (5 tests)

my $c_fail = seed_cron('cr-fail', 1);
$r = run_cr(args => ['--stderr-type', 'error', 'cr-fail', '--', 'sh', '-c',
                     'echo out; echo err >&2; exit 3']);
is($r->{code}, 3, 'failure: charon-run exits with the job\'s status 3')
    or diag show_run($r);
($e, $m) = the_run($c_fail);
ok(ended_ok($e, 0, 'error'), 'the execution ended with success false, type error')
    or diag explain [$e, $m];
$final = @$m ? $m->[-1] : {};
ok(($final->{type} // '') eq 'error'
   && ($final->{message} // '') =~ /^exit status 3 after \d+\.\d\d s$/,
   'final message: exit status 3') or diag explain $final;
ok(grep({ $_->{type} eq 'info' && $_->{message} eq 'out' } @$m),
   'stdout as info') or diag explain $m;
ok(grep({ $_->{type} eq 'error' && $_->{message} eq 'err' } @$m),
   '--stderr-type error: stderr as error') or diag explain $m;

# ---------------------------------------------------------------------
# 3. 100,000 lines: few requests, the start and the end kept (8 tests)

my $c_big = seed_cron('cr-chatty', 1);
$r = run_cr(args => ['cr-chatty', '--', 'perl', '-e',
    '$| = 0; printf "line %06d of 100000 %s\n", $_, "x" x 20 for 1 .. 100000']);
is($r->{code}, 0, '100000 lines: exit 0') or diag show_run($r);
ok($r->{secs} < 60, sprintf('in reasonable time (%.1f s)', $r->{secs}));
my @out_lines = split /\n/, $r->{out};
ok(@out_lines == 100000 && $out_lines[-1] =~ /^line 100000 /,
   'all 100000 lines passed through to stdout') or diag scalar(@out_lines) . " lines";
($e, $m) = the_run($c_big);
ok(ended_ok($e, 1, 'success'), 'the execution ended, success');
my $n_msg = @$m;
ok($n_msg > 3 && $n_msg < 50, "few messages: $n_msg (< 50) for 100000 lines")
    or diag "$n_msg messages";
my @markers = grep { $_->{message} =~ /^\[\.\.\. charon-run: \d+ bytes \/ \d+ lines cut \.\.\.\]$/ } @$m;
ok(@markers == 1, 'one marker where the output was cut') or diag explain [map { substr($_->{message}, 0, 80) } @$m];
my ($cut_bytes, $cut_lines) = @markers
    ? $markers[0]{message} =~ /(\d+) bytes \/ (\d+) lines/ : (0, 0);
# the lines kept: 1..h, then t..100000, with t - h - 1 == cut lines
my (@nums, $bad);
for my $msg (@$m[0 .. $#$m - 1]) {
    next if @markers && $msg == $markers[0];
    for my $l (split /\n/, $msg->{message}) {
        if ($l =~ /^line (\d{6}) of 100000 x{20}$/) { push @nums, 0 + $1 }
        else { $bad = $l; last }
    }
}
my ($gaps, $gap_at, $gap_len) = (0, 0, 0);
for my $i (1 .. $#nums) {
    next if $nums[$i] == $nums[$i - 1] + 1;
    $gaps++;
    ($gap_at, $gap_len) = ($nums[$i - 1], $nums[$i] - $nums[$i - 1] - 1);
}
ok(!defined $bad && @nums && $nums[0] == 1 && $nums[-1] == 100000 && $gaps == 1
   && $gap_len == $cut_lines && $cut_bytes == 43 * $cut_lines,
   "the first and the last lines kept, in order, one gap the size the marker says "
   . "(lines 1..$gap_at, then " . ($gap_at + $gap_len + 1) . "..100000; $cut_lines lines cut)")
    or diag "bad line: " . ($bad // '') . "; " . scalar(@nums) . " lines, $gaps gaps, gap $gap_len, marker $cut_lines lines $cut_bytes bytes";
ok((last_text($m) // '') =~ /^exit status 0 after .* of which \d+ bytes \(\Q$cut_lines\E lines\) cut by --max-output$/,
   'the final message says what was cut') or diag last_text($m);

# ---------------------------------------------------------------------
# 3b. A server with smaller limits (/small/: bodies of 1 KiB, messages of
# 100 bytes): messages refused with 413 or 422 are split until they
# pass; nothing is lost (4 tests)

my $c_small = seed_cron('cr-small', 1);
$r = run_cr(args => ['cr-small', '--', 'perl', '-e',
                     'print "x" x 60, " $_\n" for 1 .. 20; print "\xc3\xa9" x 75, "\n"'],
            env => { CHARON_URL => Apache::TestRequest::resolve_url('/small/'),
                     CHARON_API_KEY => KEY_SMALL });
is($r->{code}, 0, 'small limits: exit 0') or diag show_run($r);
($e, $m) = the_run($c_small);
ok(ended_ok($e, 1, 'success'), 'the execution ended, success') or diag explain [$e, $m];
my @long = grep { length($_->{message}) > 100 } @$m;
ok(@$m > 2 && !@long, scalar(@$m) . ' messages, each within the 100 bytes allowed')
    or diag explain \@long;
my $sent_text = join '', map { $_->{message} } @$m[0 .. $#$m - 1];
(my $job_text = $r->{out}) =~ s/\n//g;
$sent_text =~ s/\n//g;
ok($sent_text eq $job_text, 'all the output is there, in order, in pieces')
    or diag "sent: $sent_text\njob:  $job_text";

# ---------------------------------------------------------------------
# 4. Timeout: killed, ended as failed, 124 (7 tests)

my $c_to = seed_cron('cr-timeout', 1);
$r = run_cr(args => ['--timeout', '1', '--kill-after', '3', 'cr-timeout', '--',
                     'sleep', '30'], limit => 40);
is($r->{code}, 124, 'timeout: charon-run exits 124') or diag show_run($r);
ok($r->{secs} < 15, sprintf('it took %.1f s (timeout 1 s)', $r->{secs}));
($e, $m) = the_run($c_to);
ok(ended_ok($e, 0, 'error'), 'the execution ended as failed') or diag explain [$e, $m];
ok((last_text($m) // '') =~ /^timed out after 1 s \(--timeout\): SIGTERM; killed by signal 15 \(SIGTERM\) after \d/,
   'final message: timed out, SIGTERM') or diag explain $m;

# a job that ignores SIGTERM gets SIGKILL after --kill-after
$r = run_cr(args => ['--timeout', '1', '--kill-after', '1', 'cr-timeout', '--',
                     'sh', '-c', 'trap "" TERM; sleep 30'], limit => 40);
is($r->{code}, 124, 'a job that ignores SIGTERM: 124 too') or diag show_run($r);
ok($r->{secs} < 15, sprintf('it took %.1f s (timeout 1 s + kill-after 1 s)', $r->{secs}));
my $ex = executions_of($c_to);
my $m2 = @$ex == 2 ? messages_of($ex->[1]{id}) : [];
ok(@$ex == 2 && (last_text($m2) // '') =~ /SIGTERM, then SIGKILL; killed by signal 9 \(SIGKILL\)/,
   'final message: SIGTERM, then SIGKILL') or diag explain $m2;

# ---------------------------------------------------------------------
# 5. A cron switched off: the job does not run, and charon-run's start
# was the one refused, so the refusal is counted (6 tests)

my $c_off = seed_cron('cr-off', 0);
set_cron($c_off, off_reason => 'maintenance window');
my $mark = "$tmp/off.marker";
$r = run_cr(args => ['cr-off', '--', 'touch', $mark]);
is($r->{code}, 79, 'cron switched off: exit 79') or diag show_run($r);
ok(!-e $mark, 'the job did not run (no marker file)');
is(count_executions($c_off), 0, 'no execution recorded');
ok($r->{err} =~ /the cron 'cr-off' is switched off: maintenance window; the job was not run/,
   'stderr says why, with the reason') or diag $r->{err};
set_cron($c_off, off_reason => undef);
$r = run_cr(args => ['cr-off', '--', 'touch', $mark]);
ok($r->{code} == 79 && !-e $mark && $r->{err} =~ /switched off; the job was not run/,
   'off without a reason: 79 too') or diag show_run($r);
is_deeply([refused($c_off)], [2, 0],
          'both skips counted on the cron: refused_inactive 2, refused_locked 0');

# ---------------------------------------------------------------------
# 6. A locked cron: the job does not run, and the refusal is counted;
# both crons' skips are in the metrics (6 tests)

my $c_lock = seed_cron('cr-locked', 1);
set_cron($c_lock, concurrency => 'forbid');
my $holder = start_exec($c_lock) // 0;
$mark = "$tmp/locked.marker";
$r = run_cr(args => ['cr-locked', '--', 'touch', $mark]);
is($r->{code}, 75, 'locked cron: exit 75') or diag show_run($r);
ok(!-e $mark, 'the job did not run');
is(count_executions($c_lock), 1, 'only the running execution exists');
ok($r->{err} =~ /the cron 'cr-locked' is locked: execution $holder is still running; the job was not run/,
   'stderr says which execution holds the lock') or diag $r->{err};
is_deeply([refused($c_lock)], [0, 1],
          'the skip counted on the cron: refused_locked 1, refused_inactive 0');

# and the operator sees them as skipped runs
my $metrics = req(GET => '/charon-metrics')->content // '';
my %skipped;
while ($metrics =~ /^charon_cron_executions_total\{([^}]*)\} (\S+)$/mg) {
    my ($labels, $v) = ($1, $2);
    my %l = $labels =~ /(\w+)="([^"]*)"/g;
    $skipped{$l{slug}} = $v if ($l{outcome} // '') eq 'skipped';
}
ok(($skipped{'cr-off'} // -1) == 2 && ($skipped{'cr-locked'} // -1) == 1,
   'metrics: charon_cron_executions_total{outcome="skipped"} 2 and 1')
    or diag explain \%skipped;

# ---------------------------------------------------------------------
# 6b. --schedule, --timezone, --grace: sent with the start and stored on
# the cron; checked before anything runs (13 tests)

# The schedule columns of a cron, grace as a number.
sub sched_row {
    my ($cron) = @_;
    my $row = dbh()->selectrow_hashref(
        'SELECT schedule, timezone, grace FROM charon_cron WHERE id = ?',
        undef, $cron) || {};
    $row->{grace} += 0 if defined $row->{grace};
    return $row;
}

my $c_sch = seed_cron('cr-sched', 1);
$mark = "$tmp/sched.marker";
$r = run_cr(args => ['--schedule', '30 2 * * *', '--timezone', 'Europe/Paris',
                     '--grace', '10m', 'cr-sched', '--', 'touch', $mark]);
ok($r->{code} == 0 && -e $mark, '--schedule --timezone --grace: the job ran')
    or diag show_run($r);
is_deeply(sched_row($c_sch), { schedule => '30 2 * * *',
                               timezone => 'Europe/Paris', grace => 600 },
          'schedule, zone and grace (10m: 600 s) stored on the cron');
($e) = the_run($c_sch);
ok(ended_ok($e, 1, 'success'), 'and the run recorded as usual')
    or diag explain $e;

# without --timezone and --grace: the module's defaults (the three go
# together)
$r = run_cr(args => ['--schedule', '@every 15m', 'cr-sched', '--', 'true']);
is($r->{code}, 0, '--schedule alone: exit 0') or diag show_run($r);
is_deeply(sched_row($c_sch), { schedule => '@every 15m', timezone => undef,
                               grace => 300 },
          'the new schedule stored, zone and grace back to the defaults');

# mistakes stop charon-run before anything runs: 64, no request
my $n_before = count_executions($c_sch);
unlink $mark;
my @bad = (
    [['--schedule', '61 * * * *'],
     qr/--schedule '61 \* \* \* \*' is not a schedule: the minute field: 61 is not within 0-59/],
    [['--schedule', '@every 15m', '--timezone', 'Mars/Olympus'],
     qr/--timezone 'Mars\/Olympus' is not a time zone/],
    [['--schedule', '@every 15m', '--grace', '0'],
     qr/--grace '0' is not a grace: whole seconds or a number with s, m, h, d or w/],
    [['--timezone', 'Europe/Paris'],
     qr/--timezone goes with --schedule/],
    [['--grace', '10m'], qr/--grace goes with --schedule/],
);
for my $b (@bad) {
    my ($args, $want) = @$b;
    $r = run_cr(args => [@$args, 'cr-sched', '--', 'touch', $mark]);
    ok($r->{code} == 64 && !-e $mark && $r->{err} =~ $want,
       "@$args: exit 64, the job not run, stderr names the option")
        or diag show_run($r);
}
ok(count_executions($c_sch) == $n_before
   && sched_row($c_sch)->{schedule} eq '@every 15m',
   'no execution created and the schedule left alone by those five')
    or diag explain sched_row($c_sch);

# a cron switched off still gets the schedule (stored before start is
# decided): the job says when it runs, whether or not it may
my $c_sch_off = seed_cron('cr-sched-off', 0);
$r = run_cr(args => ['--schedule', '0 3 * * *', 'cr-sched-off', '--', 'true']);
ok($r->{code} == 79 && count_executions($c_sch_off) == 0
   && (sched_row($c_sch_off)->{schedule} // '') eq '0 3 * * *'
   && (refused($c_sch_off))[0] == 1,
   'a cron switched off: 79, no execution, the refusal counted, the schedule stored')
    or diag show_run($r) . "\n" . explain(sched_row($c_sch_off));

# not a setting of a configuration file (a file serves every job)
my $sched_conf = "$tmp/sched.conf";
spew($sched_conf, "schedule = \@daily\n", 0600);
$r = run_cr(args => ['--config', $sched_conf, 'cr-sched', '--', 'true']);
ok($r->{code} == 78 && $r->{err} =~ /sched\.conf:1: schedule is not a setting of a file/,
   'schedule in a configuration file: 78, saying why') or diag show_run($r);

# ---------------------------------------------------------------------
# 6c. What goes on the wire, and a schedule the module refuses (422):
# a fake Charon that records each request (5 tests)

my $fake = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                 LocalPort => 0, Proto => 'tcp', ReuseAddr => 1)
    or die "listen: $!";
my $fake_log = "$tmp/fake.log";
my $fake_port = $fake->sockport;
my $fake_pid = fork // die "fork: $!";
if (!$fake_pid) {
    # one request per connection; the answers of a module whose ICU does
    # not know the zone
    while (my $c = $fake->accept) {
        my $head = '';
        while ($head !~ /\r\n\r\n/) {
            my $n = sysread $c, $head, 4096, length $head;
            last unless $n;
        }
        my ($h, $body) = split /\r\n\r\n/, $head, 2;
        $body //= '';
        my ($len) = $h =~ /^Content-Length:\s*(\d+)/mi;
        while (length $body < ($len // 0)) {
            sysread($c, $body, $len - length $body, length $body) or last;
        }
        my ($method, $path) = $h =~ /^(\S+) (\S+)/;
        my ($ctype) = $h =~ /^Content-Type:\s*(.*?)\r?$/mi;
        my ($idem) = $h =~ /^Idempotency-Key:\s*(.*?)\r?$/mi;
        open my $log, '>>', $fake_log;
        print {$log} join("\t", $method, $path, $ctype // '-', $idem // '-',
                          $body), "\n";
        close $log;
        my ($st, $ans) = (200, '{"id":99}');
        if ($path =~ m{/can-start$}) {
            $ans = '{"slug":"cr-fake","canStart":true,"cronId":7}';
        }
        elsif ($path =~ m{/7/start$} && length $body) {
            ($st, $ans) = (422, '{"type":"about:blank","title":"Unprocessable '
                . 'Content","status":422,"detail":"field \'timezone\' is not a '
                . 'time zone ICU knows","field":"timezone"}');
        }
        print {$c} "HTTP/1.1 $st X\r\nContent-Type: application/json\r\n"
            . "Content-Length: " . length($ans) . "\r\nConnection: close\r\n\r\n$ans";
        close $c;
    }
    POSIX::_exit(0);
}
close $fake;
$mark = "$tmp/fake.marker";
$r = run_cr(args => ['--schedule', '30 2 * * *', '--timezone', 'Europe/Paris',
                     '--grace', '600', 'cr-fake', '--', 'touch', $mark],
            env => { CHARON_URL => "http://127.0.0.1:$fake_port/api/" });
kill KILL => $fake_pid;
waitpid $fake_pid, 0;
my @reqs = map { [split /\t/, $_, 5] } split /\n/, slurp($fake_log);
my @starts = grep { $_->[1] =~ m{/start$} } @reqs;
ok(@starts >= 1 && $starts[0][0] eq 'POST' && $starts[0][1] eq '/api/7/start'
   && $starts[0][2] eq 'application/json'
   && $starts[0][4] eq '{"schedule":"30 2 * * *","timezone":"Europe/Paris","grace":600}',
   'POST {url}7/start, Content-Type application/json, the body with the three')
    or diag explain \@reqs;
ok($r->{code} == 0 && -e $mark, 'the module refused the zone (422): the job ran all the same')
    or diag show_run($r);
ok($r->{err} =~ /Charon refused --timezone sent with start \(422: field 'timezone' is not a time zone ICU knows\); the cron's schedule is left as it was, and start goes again without it/,
   'stderr says what was refused, naming the option, with the module\'s reason')
    or diag $r->{err};
ok(@starts == 2 && $starts[1][4] eq '' && $starts[1][3] ne $starts[0][3],
   'start sent again without a body, with another Idempotency-Key')
    or diag explain \@starts;
ok(grep({ $_->[1] eq '/api/99/end' } @reqs),
   'and the run recorded: its end sent to execution 99') or diag explain \@reqs;

# ---------------------------------------------------------------------
# 6d. charon-run next: a schedule's slots, with no URL, no key and no
# configuration file read (an unsafe one is there, and ignored).  The
# expected lines were worked out with Python's zoneinfo, by brute force
# over every minute (7 tests)

spew("$tmp/xdg/charon-run.conf", "url = $URL\napi_key = $KEY\n", 0666);
my %no_env = (CHARON_URL => undef, CHARON_API_KEY => undef);
$r = run_cr(args => ['next', '--timezone', 'Europe/Paris', '--from',
                     '2026-03-28T00:00:00Z', '30 2 * * *'], env => \%no_env);
is($r->{out}, <<'END', 'next: a fixed time in the spring gap runs at its end (03:00 local)')
2026-03-28T01:30:00Z 2026-03-28T02:30:00+01:00
2026-03-29T01:00:00Z 2026-03-29T03:00:00+02:00
2026-03-30T00:30:00Z 2026-03-30T02:30:00+02:00
2026-03-31T00:30:00Z 2026-03-31T02:30:00+02:00
2026-04-01T00:30:00Z 2026-04-01T02:30:00+02:00
END
    or diag show_run($r);
ok($r->{code} == 0 && $r->{err} eq '',
   'exit 0, nothing on stderr: no URL, no key, the unsafe file not read')
    or diag show_run($r);
$r = run_cr(args => ['next', '--timezone', 'Europe/Paris', '--from',
                     '2026-03-29T00:00:00Z', '--count', '4', '30 * * * *'],
            env => \%no_env);
is($r->{out}, <<'END', 'next: a wildcard schedule follows absolute time (no 02:30 that night)')
2026-03-29T00:30:00Z 2026-03-29T01:30:00+01:00
2026-03-29T01:30:00Z 2026-03-29T03:30:00+02:00
2026-03-29T02:30:00Z 2026-03-29T04:30:00+02:00
2026-03-29T03:30:00Z 2026-03-29T05:30:00+02:00
END
    or diag show_run($r);
unlink "$tmp/xdg/charon-run.conf";

for my $b ([['61 * * * *'], qr/'61 \* \* \* \*' is not a schedule: the minute field/],
           [['--timezone', 'Mars/Olympus', '@daily'], qr/--timezone 'Mars\/Olympus' is not a time zone/],
           [['--from', '2026-02-30T00:00:00Z', '@daily'], qr/--from '2026-02-30T00:00:00Z' must be a time as YYYY-MM-DDTHH:MM\[:SS\]Z/],
           [['--count', '1001', '@daily'], qr/--count '1001' must be a number of slots, 1 to 1000/]) {
    my ($args, $want) = @$b;
    $r = run_cr(args => ['next', @$args], env => \%no_env);
    ok($r->{code} == 64 && $r->{out} eq '' && $r->{err} =~ $want,
       "next @$args: exit 64, saying why") or diag show_run($r);
}

# ---------------------------------------------------------------------
# 7. No such slug (2 tests)

purge_cron('cr-nosuch');
$mark = "$tmp/nosuch.marker";
$r = run_cr(args => ['cr-nosuch', '--', 'touch', $mark]);
is($r->{code}, 67, 'unknown slug: exit 67') or diag show_run($r);
ok(!-e $mark && $r->{err} =~ /no cron has the slug 'cr-nosuch'/,
   'the job did not run; stderr says why') or diag $r->{err};

# ---------------------------------------------------------------------
# 8. Charon down: the job runs anyway, quickly; or not, when asked (10 tests)

my $probe = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, Proto => 'tcp', ReuseAddr => 1)
    or die "listen: $!";
my $closed = $probe->sockport;
close $probe;
my $down_url = "http://127.0.0.1:$closed/api/";
$mark = "$tmp/down.marker";
$r = run_cr(args => ['cr-ok', '--', 'sh', '-c', "touch '$mark'; exit 5"],
            env => { CHARON_URL => $down_url });
ok(-e $mark, 'Charon down (closed port): the job ran anyway');
is($r->{code}, 5, 'and charon-run exits with its status') or diag show_run($r);
ok($r->{secs} < 15, sprintf('quickly: %.1f s', $r->{secs}));
ok($r->{err} =~ /Charon cannot be reached \(can-start: .*\); the job runs anyway, not recorded in Charon/,
   'stderr says so') or diag $r->{err};
unlink $mark;
$r = run_cr(args => ['--refuse-when-down', 'cr-ok', '--', 'touch', $mark],
            env => { CHARON_URL => $down_url });
is($r->{code}, 69, '--refuse-when-down: exit 69') or diag show_run($r);
ok(!-e $mark, 'and the job did not run');
ok($r->{err} =~ /--refuse-when-down: the job was not run/, 'stderr says so')
    or diag $r->{err};

# A server that accepts connections and never answers: the job still
# starts within --net-timeout.
my $silent = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, Proto => 'tcp', ReuseAddr => 1)
    or die "listen: $!";
my $silent_url = 'http://127.0.0.1:' . $silent->sockport . '/api/';
$mark = "$tmp/silent.marker";
$r = run_cr(args => ['--net-timeout', '2', 'cr-ok', '--', 'touch', $mark],
            env => { CHARON_URL => $silent_url });
ok(-e $mark && $r->{code} == 0, 'a server that never answers: the job ran, exit 0')
    or diag show_run($r);
ok($r->{secs} >= 1.5 && $r->{secs} < 8,
   sprintf('after the --net-timeout of 2 s, not more (%.1f s)', $r->{secs}));
ok($r->{err} =~ /Operation timed out|Timeout was reached|timed out/i,
   'stderr: timed out') or diag $r->{err};
close $silent;

# ---------------------------------------------------------------------
# 9. A signal is passed on to the job (5 tests)

my $c_sig = seed_cron('cr-signal', 1);
my ($ready, $term) = ("$tmp/sig.ready", "$tmp/sig.term");
my $sent = 0;
$r = run_cr(args => ['cr-signal', '--', 'sh', '-c',
        "trap 'echo got-term > $term; exit 7' TERM; echo ready > $ready; "
      . 'while :; do sleep 0.1; done'], limit => 30,
    during => sub {
        my ($pid) = @_;
        if (wait_until(sub { -s $ready }, 20)) {
            Time::HiRes::sleep(0.2);
            $sent = kill TERM => $pid;
        }
    });
ok($sent, 'SIGTERM sent to charon-run while its job runs');
is(slurp($term), "got-term\n", 'the job got SIGTERM (its trap ran)');
is($r->{code}, 7, 'charon-run exits with the job\'s status 7') or diag show_run($r);
($e, $m) = the_run($c_sig);
ok(ended_ok($e, 0, 'error'), 'the end was recorded: success false') or diag explain [$e, $m];
ok((last_text($m) // '') =~ /^exit status 7 after [\d.]+ s; charon-run passed on SIGTERM$/,
   'final message: exit status 7, SIGTERM passed on') or diag explain $m;

# ---------------------------------------------------------------------
# 10. Output is streamed while the job runs; the key is in no /proc (7 tests)

my $c_st = seed_cron('cr-stream', 1);
my ($seen_running, $cmdline, $environ, $job_env) = (0, '', '', '');
$r = run_cr(args => ['--flush-interval', '0.5', 'cr-stream', '--', 'sh', '-c',
                     'echo early-line; sleep 4; echo late-line'],
    during => sub {
        my ($pid) = @_;
        my $got = wait_until(sub {
            my $ex = executions_of($c_st);
            return 0 unless @$ex;
            return grep { $_->{message} =~ /early-line/ } @{ messages_of($ex->[0]{id}) };
        }, 3.5, 0.1);
        # the job sleeps 4 s after its first line: seen within 3.5 s, and
        # charon-run not yet a zombie, is seen while it runs
        $seen_running = $got
            && (slurp("/proc/$pid/stat") =~ /^\d+ \(.*?\) ([A-Z])/)[0] ne 'Z'
            ? 1 : 0;
        $cmdline = slurp("/proc/$pid/cmdline");
        $environ = slurp("/proc/$pid/environ");
        my @kids = grep { ((slurp("/proc/$_/stat") =~ /^\d+ \(.*?\) \S (\d+)/)[0] // 0) == $pid }
                   map { m{/proc/(\d+)$} ? $1 : () } glob '/proc/[0-9]*';
        $job_env = join "\n", map { slurp("/proc/$_/environ") } @kids;
    });
is($r->{code}, 0, 'streaming job: exit 0') or diag show_run($r);
ok($seen_running, 'its first line was in the database while it still ran');
($e, $m) = the_run($c_st);
ok(grep({ $_->{message} eq 'late-line' } @$m), 'the last line too') or diag explain $m;
ok($cmdline =~ /cr-stream/ && index($cmdline, $KEY) < 0,
   'the key is not in /proc/<pid>/cmdline of charon-run') or diag $cmdline;
ok($environ =~ /CHARON_URL/ && index($environ, $KEY) < 0,
   'nor in its /proc/<pid>/environ (wiped once read)')
    or diag join ' ', split /\0/, $environ;
ok($job_env =~ /CHARON_EXECUTION_ID/ && index($job_env, $KEY) < 0
   && $job_env !~ /CHARON_API_KEY/, 'nor in its job\'s environment')
    or diag join ' ', split /\0/, $job_env;
ok(index($r->{out} . $r->{err}, $KEY) < 0, 'nor in its output');

# ---------------------------------------------------------------------
# 11. Configuration files and key files (9 tests)

my $c_cf = seed_cron('cr-config', 1);
$mark = "$tmp/config.marker";
my $bad_conf = "$tmp/bad.conf";
spew($bad_conf, "# charon-run\nurl = $URL\napi_key = $KEY\n", 0644);
$r = run_cr(args => ['--config', $bad_conf, 'cr-config', '--', 'touch', $mark],
            env => { CHARON_URL => undef, CHARON_API_KEY => undef });
is($r->{code}, 78, 'a configuration file with the key, readable by others: 78')
    or diag show_run($r);
ok(!-e $mark && $r->{err} =~ /bad\.conf holds the API key but is readable by group or others \(mode 0644\)/,
   'the job did not run; stderr says why') or diag $r->{err};
ok(index($r->{err}, $KEY) < 0, 'the refusal does not print the key');

# the default place, mode 0600: used
mkdir "$tmp/xdg";
spew("$tmp/xdg/charon-run.conf", "url = \"$URL\"\napi_key = $KEY\ntimeout = 30\n", 0600);
$r = run_cr(args => ['cr-config', '--', 'touch', $mark],
            env => { CHARON_URL => undef, CHARON_API_KEY => undef });
ok($r->{code} == 0 && -e $mark, '$XDG_CONFIG_HOME/charon-run.conf, mode 0600: the job ran')
    or diag show_run($r);
($e) = the_run($c_cf);
ok(ended_ok($e, 1, 'success'), 'and was recorded with the key from the file');
unlink "$tmp/xdg/charon-run.conf";

# a key file readable by the group
my $keyfile = "$tmp/key";
spew($keyfile, "$KEY\n", 0640);
unlink $mark;
$r = run_cr(args => ['--key-file', $keyfile, 'cr-config', '--', 'touch', $mark],
            env => { CHARON_API_KEY => undef });
ok($r->{code} == 78 && !-e $mark && $r->{err} =~ /readable by group or others \(mode 0640\)/,
   'a key file readable by the group: 78, not run') or diag show_run($r);
chmod 0600, $keyfile;
$r = run_cr(args => ['--key-file', $keyfile, 'cr-config', '--', 'touch', $mark],
            env => { CHARON_API_KEY => undef });
ok($r->{code} == 0 && -e $mark, 'mode 0600: accepted') or diag show_run($r);

# no key at all; a bad option
$r = run_cr(args => ['cr-config', '--', 'true'], env => { CHARON_API_KEY => undef });
ok($r->{code} == 78 && $r->{err} =~ /no API key/, 'no key anywhere: 78')
    or diag show_run($r);
$r = run_cr(args => ['--api-key', $KEY, 'cr-config', '--', 'true']);
ok($r->{code} == 64 && index($r->{err}, $KEY) < 0,
   'a key on the command line is not an option: 64, and not echoed')
    or diag show_run($r);

# ---------------------------------------------------------------------
# 11b. The job inherits no descriptor of charon-run's (its connection to
# Charon, libcurl's socket pair, its pipes) (1 test)

$r = run_cr(args => ['cr-config', '--', 'sh', '-c', 'ls -l /proc/$$/fd']);
my @fds = map { m{ (\d+) -> (.*)$} ? "$1 $2" : () } split /\n/, $r->{out};
ok($r->{code} == 0 && @fds >= 3 && !grep({ /socket:/ } @fds)
   && 3 == grep({ /^[012] / } @fds) && !grep({ !/^[012] / } @fds),
   'the job has its stdin, stdout and stderr, and nothing of charon-run\'s')
    or diag join "\n", $r->{out}, show_run($r);

# ---------------------------------------------------------------------
# 12. A command that cannot be executed (2 tests)

my $c_nx = seed_cron('cr-noexec', 1);
$r = run_cr(args => ['cr-noexec', '--', "$tmp/no-such-command"]);
is($r->{code}, 127, 'command not found: 127, like a shell') or diag show_run($r);
($e, $m) = the_run($c_nx);
ok(ended_ok($e, 0, 'error')
   && grep({ $_->{type} eq 'warning' && $_->{message} =~ /cannot execute .*no-such-command.*No such file/ } @$m),
   'recorded as a failed run, with why') or diag explain [$e, $m];

# ---------------------------------------------------------------------
# 13. --help documents every option and exit status, and next (3 tests)

$r = run_cr(args => ['--help']);
my @opts = qw(--url --key-file --config --no-config --cacert --timeout
              --kill-after --net-timeout --flush-interval --max-output
              --max-message --batch-lines --stdout-type --stderr-type
              --refuse-when-down --run-when-down --schedule --timezone
              --grace --verbose --help --version);
my @missing = grep { index($r->{out}, $_) < 0 } @opts;
ok($r->{code} == 0 && !@missing, '--help lists every option')
    or diag "missing: @missing";
my @codes = grep { $r->{out} !~ /\b$_\b/ } qw(64 67 69 71 75 78 79 124 126 127);
ok(!@codes, '--help lists every exit status') or diag "missing: @codes";
ok($r->{out} =~ /charon-run next \[--timezone ZONE\] \[--from TIME\] \[--count N\] SCHEDULE/,
   '--help shows charon-run next') or diag $r->{out};

# ---------------------------------------------------------------------
# 14. The man page documents every option, and next (2 tests)

my $man = slurp("$top/tools/charon-run.1");
@missing = grep { (my $troff = $_) =~ s/-/\\-/g; index($man, $troff) < 0 } @opts;
ok($man ne '' && !@missing, 'tools/charon-run.1 documents every option')
    or diag "missing: @missing";
ok(index($man, 'charon\-run next') >= 0 && index($man, '\-\-from') >= 0
   && index($man, '\-\-count') >= 0, 'and charon-run next, with its options');

no_leak_ok();

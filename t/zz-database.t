# The database unavailable, locked or restarted: 503 with Retry-After,
# nothing half-written, and recovery without restarting Apache.
# Runs last (zz-) since it disturbs the database on purpose.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use HTTP::Response;
use IO::Select;
use POSIX ();

my $drv = dbh()->{Driver}{Name};
my %tests = (SQLite => 8, Pg => 20, MariaDB => 10, mysql => 10);
plan tests => $tests{$drv} // 0;

my $cron = seed_cron('dbx-cron', 1);
CharonTest::ua();

my $end_body = { type => 'error', success => JSON::false,
                 message => 'ended while the database was away' };

# One test: a 503 problem document with a Retry-After header.
sub ok_503 {
    my ($res, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ra = $res->header('Retry-After') // '';
    ok_problem($res, 503, $name);
    return $ra;
}

# Sends requests until they succeed again. Each round: can-start, start,
# and a message on execution $y. Every answer must be 200 or a well-formed
# 503 with Retry-After. Success: 10 rounds in a row all 200, within 30 s.
# Returns (recovered, [wrong answers], starts answered 200, executions
# created, messages answered 200).
sub recover {
    my ($y) = @_;
    my ($streak, $starts, $msgs, @bad) = (0, 0, 0);
    my $execs0 = count_executions($cron);
    my $deadline = time + 30;
    while (time < $deadline && $streak < 10) {
        my $all_ok = 1;
        my @r = (
            [start => req(GET => "/api/$cron/start", key => KEY_CLEAR)],
            [can   => req(GET => '/api/dbx-cron/can-start', key => KEY_CLEAR)],
            [msg   => req(POST => "/api/$y/message", key => KEY_CLEAR,
                          json => { type => 'info', message => 'during recovery' })],
        );
        for my $x (@r) {
            my ($what, $res) = @$x;
            if ($res->code == 200) {
                $starts++ if $what eq 'start';
                $msgs++   if $what eq 'msg';
                next;
            }
            $all_ok = 0;
            my $d = decode_body($res);
            push @bad, "$what: " . $res->status_line . ' ' . ($res->content // '')
                unless $res->code == 503 && $res->header('Retry-After')
                    && ref $d eq 'HASH' && ($d->{status} // 0) == 503;
        }
        $streak = $all_ok ? $streak + 1 : 0;
        select undef, undef, undef, 0.2 unless $all_ok;
    }
    return ($streak >= 10, \@bad, $starts,
            count_executions($cron) - $execs0, $msgs);
}

# Runs $code in a child process (so that this process can hold a lock
# meanwhile); returns the HTTP::Responses it made, or () after 60 s.
sub in_child {
    my ($code) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        my @res = eval { $code->() };
        print {$w} join "\n\x00\n", map { $_->as_string } @res;
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    my $out = '';
    my $eof = 0;
    my $sel = IO::Select->new($r);
    my $deadline = time + 60;
    while (!$eof && time < $deadline) {
        next unless $sel->can_read(1);
        my $n = sysread $r, $out, 65536, length $out;
        $eof = 1 unless $n;
    }
    close $r;
    unless ($eof) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
        diag 'the requests did not finish within 60 s';
        return ();
    }
    waitpid $pid, 0;                     # it has closed its end: it exits
    return map { HTTP::Response->parse($_) } grep { length } split /\n\x00\n/, $out;
}

# The error_log from byte $from: lines matching $re.
my $ERROR_LOG = Apache::Test::vars('t_logs') . '/error_log';
sub log_lines {
    my ($from, $re) = @_;
    open my $fh, '<', $ERROR_LOG or return ();
    seek $fh, $from, 0;
    return grep { /$re/ } <$fh>;
}

# Connections the server dropped while they sat idle in the pool (a
# restart, a failover, an idle timeout): their handles look alive until
# used.  $kill drops them; after 1.5 s of quiet, $n writes at once (lone
# statements, which cannot be run again once sent) must all succeed, the
# module having checked each idle connection before using it (2).
sub dropped_while_idle {
    my ($kill, $y, $n) = @_;
    my $msg = sub {
        req(POST => "/api/$y/message", key => KEY_CLEAR,
            json => { type => 'info', message => 'after an idle drop' });
    };
    fork_race($n, $msg);                # the pool holds n connections
    my $before = count_messages($y);
    $kill->();
    select undef, undef, undef, 1.5;
    my @res = fork_race($n, $msg);
    my @bad = map { $_->status_line . ' ' . ($_->content // '') }
              grep { $_->code != 200 } @res;
    ok(@res == $n && !@bad,
       "$n writes on connections dropped while idle: all 200")
        or diag join "\n", @bad;
    is(count_messages($y) - $before, $n, 'each of them stored once');
}

if ($drv eq 'SQLite') {
    # ---- a write lock held by another process: writes give 503 (8)
    my $x = start_exec($cron) // 0;
    my $n = count_executions($cron);
    my $d = dbh();
    $d->do('BEGIN EXCLUSIVE');
    my @res = in_child(sub {
        (req(GET  => "/api/$cron/start", key => KEY_CLEAR),
         req(POST => "/api/$x/end", key => KEY_CLEAR, json => $end_body),
         req(POST => "/api/$x/message", key => KEY_CLEAR,
             json => { type => 'info', message => 'locked out' }));
    });
    $d->do('ROLLBACK');
    @res = map { $res[$_] // HTTP::Response->new(599, 'no answer') } 0 .. 2;
    my $ra = ok_503($res[0], 'start while the database is locked: 503');
    like($ra, qr/^\d+$/, 'with Retry-After in seconds');
    ok_503($res[1], 'end while the database is locked: 503');
    ok_503($res[2], 'message while the database is locked: 503');
    my $row = execution($x);
    ok(count_executions($cron) == $n && $row && !defined $row->{ended_at}
       && count_messages($x) == 0, 'nothing written, nothing half-written')
        or diag explain [$row, messages_of($x)];

    ok_json(req(GET => "/api/$cron/start", key => KEY_CLEAR),
            'lock released: start 200 again', keys => ['id']);
    ok_json(req(POST => "/api/$x/end", key => KEY_CLEAR, json => $end_body),
            'lock released: end 200', keys => ['id'], fields => { id => $x });
    my $m = messages_of($x);
    $row = execution($x);
    ok($row && defined $row->{ended_at} && @$m == 1
       && $m->[0]{message} eq $end_body->{message}, 'end and message stored')
        or diag explain [$row, $m];
}
elsif ($drv eq 'Pg') {
    my $d = dbh();
    my ($db) = $d->selectrow_array('SELECT current_database()');
    my $qdb = $d->quote_identifier($db);
    # A database cannot refuse connections to itself: an admin connection
    # to another database of the same server does it.
    my $admin;
    for my $other (qw(postgres template1)) {
        (my $dsn = $d->{Name}) =~ s/(^|;)dbname=[^;]*/${1}dbname=$other/;
        $dsn = "dbi:Pg:$dsn";
        $admin = eval { DBI->connect($dsn, $ENV{CHARON_TEST_DBUSER} // '',
            $ENV{CHARON_TEST_DBPASS} // '', { RaiseError => 1, PrintError => 0,
            AutoCommit => 1, AutoInactiveDestroy => 1 }) } and last;
    }
    die "cannot open an admin connection: $DBI::errstr\n" unless $admin;
    my $mine = $d->{pg_pid};
    my $kill = sub {
        $admin->selectall_arrayref(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
          . 'WHERE datname = ? AND pid <> ?', undef, $db, $mine);
    };
    my $locked = 0;
    END { eval { $admin->do("ALTER DATABASE $qdb ALLOW_CONNECTIONS true") }
              if $locked }
    my $log_from = -s $ERROR_LOG // 0;

    # ---- the database refuses connections: 503 everywhere (6)
    my $x = start_exec($cron) // 0;
    my $y = start_exec($cron) // 0;
    my $n = count_executions($cron);
    $admin->do("ALTER DATABASE $qdb ALLOW_CONNECTIONS false");
    $locked = 1;
    $kill->();
    my $ra = ok_503(req(GET => "/api/$cron/start", key => KEY_CLEAR),
                    'start while the database refuses connections: 503');
    like($ra, qr/^\d+$/, 'with Retry-After in seconds');
    ok_503(req(POST => "/api/$x/end", key => KEY_CLEAR, json => $end_body),
           'end while the database is away: 503');
    ok_503(req(POST => "/api/$x/message", key => KEY_CLEAR,
               json => { type => 'info', message => 'away' }),
           'message while the database is away: 503');
    ok_503(req(GET => '/api/dbx-cron/can-start', key => KEY_CLEAR),
           'can-start while the database is away: 503');
    my $row = execution($x);
    ok(count_executions($cron) == $n && $row && !defined $row->{ended_at}
       && count_messages($x) == 0, 'nothing written, nothing half-written')
        or diag explain [$row, messages_of($x)];

    # ---- back: recovery without restarting Apache (5)
    $admin->do("ALTER DATABASE $qdb ALLOW_CONNECTIONS true");
    $locked = 0;
    my ($ok, $bad, $starts, $created, $msgs) = recover($y);
    ok($ok, 'the database is back: requests succeed again within 30 s');
    ok(!@$bad, 'meanwhile every answer was 200 or 503 with Retry-After')
        or diag join "\n", @$bad[0 .. ($#$bad > 9 ? 9 : $#$bad)];
    ok($created == $starts && count_messages($y) == $msgs,
       'one execution per start answered 200, one message per message answered 200')
        or diag "starts $starts created $created; messages $msgs stored "
           . count_messages($y);
    ok_json(req(POST => "/api/$x/end", key => KEY_CLEAR, json => $end_body),
            'the execution refused during the outage can now be ended',
            keys => ['id'], fields => { id => $x });
    my $m = messages_of($x);
    ok(@$m == 1 && $m->[0]{message} eq $end_body->{message}, 'its message stored')
        or diag explain $m;

    # ---- the outage in the error_log: one line when it began, one when it
    # ended (for every child together), no error for what was retried (3)
    # (t/conf has virtual hosts whose databases are broken on purpose)
    my @began = log_lines($log_from, qr/CHARON118: the database of the main server /);
    my @ended = log_lines($log_from, qr/CHARON119: the database of the main server /);
    is(scalar @began, 1, 'one line said the database could not be used')
        or diag @began;
    my ($refused) = map { /(\d+) requests were answered 503/ ? $1 : () } @ended;
    ok(@ended == 1 && ($refused // 0) >= 4,
       'one line said it could be used again, counting the 503s (at least 4)')
        or diag @ended;
    my @retried = log_lines($log_from,
                            qr/\[charon:error\].*prepared statement .* does not exist/);
    ok(!@retried, 'statements prepared again and retried are not logged as errors')
        or diag @retried[0 .. ($#retried > 4 ? 4 : $#retried)];

    # ---- a restart (connections dropped): recovery again (4)
    $log_from = -s $ERROR_LOG // 0;
    $kill->();
    ($ok, $bad, $starts, $created, $msgs) = recover($y);
    ok($ok, 'connections dropped again: requests succeed again within 30 s');
    ok(!@$bad, 'meanwhile every answer was 200 or 503 with Retry-After')
        or diag join "\n", @$bad[0 .. ($#$bad > 9 ? 9 : $#$bad)];
    ok($created == $starts, 'one execution per start answered 200')
        or diag "starts $starts created $created";
    my @outage = log_lines($log_from, qr/CHARON118: the database of the main server /);
    ok(!@outage, 'connections dropped while the server runs are no outage')
        or diag @outage;

    # ---- connections dropped while idle (2)
    dropped_while_idle($kill, $y, 8);
}
else {
    # MariaDB / MySQL: drop the module's connections twice (8)
    my $d = dbh();
    my $kill = sub {
        my $ids = $d->selectcol_arrayref(
            'SELECT id FROM information_schema.PROCESSLIST '
          . 'WHERE db = DATABASE() AND id <> CONNECTION_ID()');
        for my $id (@$ids) {
            eval { $d->do('KILL CONNECTION ' . (0 + $id)) };
        }
        return scalar @$ids;
    };
    my $x = start_exec($cron) // 0;
    my $y = start_exec($cron) // 0;
    my $total_msgs = 0;
    for my $round (1, 2) {
        my $killed = $kill->();
        my ($ok, $bad, $starts, $created, $msgs) = recover($y);
        ok($ok, "round $round: $killed connections killed, requests succeed "
              . 'again within 30 s');
        ok(!@$bad, "round $round: every answer was 200 or 503 with Retry-After")
            or diag join "\n", @$bad[0 .. ($#$bad > 9 ? 9 : $#$bad)];
        $total_msgs += $msgs;
        ok($created == $starts && count_messages($y) == $total_msgs,
           "round $round: one execution per start, one message per message "
         . 'answered 200')
            or diag "starts $starts created $created; messages $total_msgs "
               . 'stored ' . count_messages($y);
    }
    ok_json(req(POST => "/api/$x/end", key => KEY_CLEAR, json => $end_body),
            'end after the reconnections', keys => ['id'], fields => { id => $x });
    my $m = messages_of($x);
    ok(@$m == 1 && $m->[0]{message} eq $end_body->{message}, 'its message stored')
        or diag explain $m;

    # ---- connections dropped while idle (2)
    dropped_while_idle($kill, $y, 8);
}

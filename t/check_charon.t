# tools/check_charon, the Nagios / Icinga plugin (docs/METRICS.md, "Nagios
# and Icinga: check_charon"), run against the real module: the exit code
# (0, 1, 2, 3), the output line and the performance data for each answer
# of charon-health, and UNKNOWN for what is not one (httpd's 401/403/404,
# another handler, no connection, no answer in time, a bad command line).
#
# Exact lines and counts come from the virtual host charon_vhost_check,
# whose SQLite database only this file uses (t/conf/extra.conf.in): the
# schema is loaded here, rows written by SQL as the module would.  On the
# database under test, shared with the other files, a cron failed through
# the API and a slot missed as the watchdog judges it are checked relative
# to what else is there: the count in the line and in the perfdata agree.
# A one-shot server of this file's own gives the answers the module never
# gives (a status that does not go with the word, several lines, a
# redirect) and shows the request the plugin sends.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use DBI;
use IO::Socket::INET;
use IPC::Open3 ();
use MIME::Base64 ();
use POSIX ();
use Symbol ();
use Time::HiRes ();

plan tests => 43;

my $TOOL = "$FindBin::Bin/../tools/check_charon";
my $H = '/charon-health';
my $IP = '127.0.0.1';
my $BROKEN_BAR = "\xc2\xa6";    # U+00A6, what the plugin shows for "|"
my @LABELS = qw(crons_failing crons_missed alerts_undelivered alerts_given_up);

# The performance data for these counts (the others 0).
sub perf {
    my %n = @_;
    return join ' ', map { "'$_'=" . ($n{$_} // 0) . ';0;;0' } @LABELS;
}

sub port_of {
    my ($vhost) = @_;
    local $Apache::TestRequest::Module = $vhost if $vhost;
    my ($port) = Apache::TestRequest::hostport() =~ /:(\d+)\z/
        or die 'no port for ' . ($vhost // 'the main server');
    return $port;
}

# The plugin, as Nagios runs it: { rc, signal, out, err, secs, cmd }, by
# python3, or with '--exec' first, the file itself (its #! line and mode).
sub plugin {
    my (@args) = @_;
    my @cmd = ('python3', $TOOL);
    if (@args && $args[0] eq '--exec') {
        shift @args;
        @cmd = ($TOOL);
    }
    my $t0 = Time::HiRes::time();
    my $err = Symbol::gensym();
    my $pid = IPC::Open3::open3(my $in, my $out, $err, @cmd, @args);
    close $in;
    binmode $out;
    binmode $err;
    # A plugin that hangs is killed (signal 9: the test fails).
    local $SIG{ALRM} = sub { kill 'KILL', $pid };
    alarm 60;
    my $o = do { local $/; <$out> } // '';
    my $e = do { local $/; <$err> } // '';
    waitpid $pid, 0;
    alarm 0;
    return { rc => $? >> 8, signal => $? & 127, out => $o, err => $e,
             secs => Time::HiRes::time() - $t0,
             cmd => join ' ', map { /^[\w\/.:=-]+\z/ ? $_ : "'$_'" } @cmd,
                                  @args };
}

# What is wrong with a first line by the guidelines: "CHARON <STATE> -
# <text>", the state that of the exit code, and, after " | ", the four
# counts as 'label'=n;0;;0.
sub form_errors {
    my ($line, $rc) = @_;
    my %word = (0 => 'OK', 1 => 'WARNING', 2 => 'CRITICAL', 3 => 'UNKNOWN');
    my @e;
    my ($text, $perf) = split / \| /, $line, 2;
    push @e, 'not "CHARON ' . ($word{$rc} // '?') . ' - text"'
        unless defined $word{$rc} && $text =~ /\ACHARON \Q$word{$rc}\E - \S/;
    push @e, 'a "|" that is not the one before the perfdata'
        if $text =~ /\|/ || (defined $perf && $perf =~ /\|/);
    my $four = join ' ', map { "'$_'=\\d+;0;;0" } @LABELS;
    push @e, "perfdata is not the four counts: $perf"
        if defined $perf && $perf !~ /\A$four\z/;
    return @e;
}

# One test: exit code $rc, the first line $want (a string: exactly; a
# regexp: matching), well formed, and nothing on stderr.
sub ok_plugin {
    my ($r, $rc, $want, $name) = @_;
    my @err;
    my ($first) = split /\n/, $r->{out};
    $first //= '';
    push @err, "exit $r->{rc} (signal $r->{signal}), expected $rc"
        unless $r->{rc} == $rc && !$r->{signal};
    push @err, "stderr: $r->{err}" if length $r->{err};
    push @err, 'no line feed at the end' unless $r->{out} =~ /\n\z/;
    if (ref $want) {
        push @err, "the line does not match $want" unless $first =~ $want;
    }
    elsif ($first ne $want) {
        push @err, "expected: $want";
    }
    push @err, form_errors($first, $rc);
    ok(!@err, $name) or diag join "\n", "\$ $r->{cmd}", @err,
        "output: $r->{out}";
    note "exit $r->{rc}: $first";
    return $r;
}

# ------------------------------------------------- the database of our own

my $OWN = Apache::Test::vars('t_logs') . '/check_charon.db';
my $odb = DBI->connect("dbi:SQLite:dbname=$OWN", '', '',
    { RaiseError => 1, PrintError => 0, AutoCommit => 1,
      sqlite_allow_multiple_statements => 1 });
$odb->sqlite_busy_timeout(30_000);
{
    # Every statement of the schema is IF NOT EXISTS: loaded again on a
    # second run of this file against the same server.
    open my $fh, '<', "$FindBin::Bin/../sql/sqlite.sql" or die "sql: $!";
    my $sql = do { local $/; <$fh> };
    $odb->do($sql);
}
my @OWN_TABLES = qw(charon_alert_attempt charon_alert_delivery
    charon_alert_event charon_alert_stats charon_alert_outcome
    charon_cron_alert charon_message charon_execution charon_cron_watch
    charon_cron_stats charon_idempotency charon_cron);
sub own_wipe { $odb->do("DELETE FROM $_") for @OWN_TABLES }
own_wipe();
# The alert deliveries' threads open every server's database from startup
# on (a virtual host serves the main server's mounts): each connection that
# found this one without its schema may say so for a second more (the
# module asks again at most once a second): let that second pass.
Time::HiRes::sleep(1.5);
wait_until(sub {
    req(GET => $H, vhost => 'charon_vhost_check')->code == 200
}, 15) or diag 'the database of charon_vhost_check is not used yet';

# Times as SQLite stores them, $ago seconds before now.
sub ago { sprintf q{strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '%+d seconds')}, -$_[0] }

sub own_cron {
    my ($slug, %c) = @_;
    $odb->do('INSERT INTO charon_cron (slug, name, active, schedule, grace) '
           . 'VALUES (?, ?, 1, ?, ?)', undef, $slug, "Cron $slug",
             $c{schedule}, $c{grace} // 300);
    return $odb->sqlite_last_insert_rowid;
}

# A run that ended $ago seconds ago (the trigger on ended_at keeps the
# cron's stats), or was marked lost then.
sub own_run {
    my ($cron, $how, $ago) = @_;
    $odb->do('INSERT INTO charon_execution (cron_id, started_at, api_key, '
           . 'remote_addr) VALUES (?, ' . ago($ago + 5)
           . q{, 'app-test', '127.0.0.1')}, undef, $cron);
    my $e = $odb->sqlite_last_insert_rowid;
    if ($how eq 'lost') {
        $odb->do('UPDATE charon_execution SET lost_at = ' . ago($ago)
               . ' WHERE id = ?', undef, $e);
    }
    else {
        $odb->do('UPDATE charon_execution SET ended_at = ' . ago($ago)
               . ', success = ?, type = ? WHERE id = ?', undef,
                 $how eq 'ok' ? 1 : 0, $how eq 'ok' ? 'success' : 'error', $e);
    }
}

# The watchdog's row of a cron whose latest slot judged was missed, as it
# writes one (for the cron's schedule as it is; next judgment far away).
sub own_missed {
    my ($cron) = @_;
    $odb->do('INSERT INTO charon_cron_watch (cron_id, schedule, timezone, '
           . 'grace, checked_until, starts_until, next_deadline, next_slot, '
           . 'last_slot, last_state) SELECT id, schedule, timezone, grace, '
           . ago(0) . ', ' . ago(0) . q{, '9999-01-01 00:00:00.000', }
           . ago(-60) . ', ' . ago(400) . q{, 'missed' FROM charon_cron }
           . 'WHERE id = ?', undef, $cron);
}

# A delivery on $channel (a name no CharonAlert has) queued $ago seconds
# ago, of an event of its own; given up: with its last attempt, $gave_ago.
my $UID = 0;
sub own_delivery {
    my ($channel, $state, $ago, $gave_ago) = @_;
    my $uid = sprintf 'cc-%d-%d', $$, ++$UID;
    $odb->do('INSERT INTO charon_alert_event (uid, event, created_at, '
           . q{document) VALUES (?, 'test', } . ago($ago) . ', ?)', undef,
             $uid, qq({"id":"$uid","event":"test"}));
    my $ev = $odb->sqlite_last_insert_rowid;
    $odb->do('INSERT INTO charon_alert_delivery (event_id, channel, state, '
           . 'attempts, due_at, created_at) VALUES (?, ?, ?, ?, ' . ago(-60)
           . ', ' . ago($ago) . ')', undef, $ev, $channel, $state,
             defined $gave_ago ? 1 : 0);
    my $d = $odb->sqlite_last_insert_rowid;
    $odb->do('INSERT INTO charon_alert_attempt (delivery_id, at, result, '
           . q{error) VALUES (?, } . ago($gave_ago) . q{, 'given_up', }
           . q{'HTTP 500')}, undef, $d) if defined $gave_ago;
}

my $CP = port_of('charon_vhost_check');
my @own = ('-H', $IP, '-p', $CP);

# ---- OK (2)
ok_plugin(plugin(@own), 0,
          "CHARON OK - database answers, no cron's latest run failed or "
        . 'was lost | ' . perf(),
          'all fine: OK, exit 0, the four counts at 0');
ok_plugin(plugin(@own, '--query', ''), 0, 'CHARON OK - database answers',
          "--query '' (the database only): OK, no perfdata (no count given)");

# ---- a missed slot, failing crons, alerts (4)
own_missed(own_cron('cc-missed', schedule => '@every 1m'));
my $MISSED = '1 cron that missed its latest slot: cc-missed';
ok_plugin(plugin(@own), 1,
          "CHARON WARNING - $MISSED | " . perf(crons_missed => 1),
          'a cron that missed its latest slot: WARNING, exit 1, counted');

own_run(own_cron('cc-fail'), 'failed', 30);
own_run(own_cron('cc-lost'), 'lost', 30);
own_run(own_cron('cc-ok'), 'ok', 30);
my $rec = own_cron('cc-recovered');
own_run($rec, 'failed', 60);
own_run($rec, 'ok', 30);
my $FAILING = '2 crons whose latest run failed or was lost: cc-fail, cc-lost';
ok_plugin(plugin(@own), 1,
          "CHARON WARNING - $FAILING; $MISSED | "
        . perf(crons_failing => 2, crons_missed => 1),
          'a failed and a lost cron besides: WARNING, both counted');

own_delivery('cc-hook', 'pending', 600) for 1 .. 2;
own_delivery('cc-mail', 'pending', 600);
own_delivery('cc-hook', 'pending', 60);                # not late yet
own_delivery('cc-hook', 'given_up', 7200, 3600);
own_delivery('cc-mail', 'given_up', 30 * 3600, 25 * 3600);  # too old
own_delivery('cc-mail', 'delivered', 600);
my $ALERTS = '3 alert deliveries undelivered for more than 5 minutes '
           . '(cc-hook: 2, cc-mail: 1); 1 alert delivery given up in the '
           . 'last 24 h (cc-hook: 1)';
my $ALL = perf(crons_failing => 2, crons_missed => 1,
               alerts_undelivered => 3, alerts_given_up => 1);
ok_plugin(plugin(@own), 1, "CHARON WARNING - $FAILING; $MISSED; $ALERTS | $ALL",
          'alert deliveries late and given up: WARNING, the four counts');
ok_plugin(plugin(@own, '--query', 'crons&strict'), 1,
          "CHARON WARNING - $FAILING; $MISSED; $ALERTS | $ALL",
          '--query crons&strict: the same WARNING, exit 1');

# ---- what the plugin read there (1)
is(req(GET => "$H?crons&strict", vhost => 'charon_vhost_check')->code, 503,
   '... which charon-health answered with a 503');

# ---- counts past the 20 slugs listed; a "|" in a slug (2)
own_run(own_cron(sprintf 'cc-many-%02d', $_), 'failed', 20) for 1 .. 21;
own_run(own_cron('cc-a|b'), 'failed', 20);
my $r = ok_plugin(plugin(@own), 1,
          "CHARON WARNING - 24 crons whose latest run failed or was lost: "
        . "cc-a${BROKEN_BAR}b, cc-fail, cc-lost, "
        . join(', ', map { sprintf 'cc-many-%02d', $_ } 1 .. 17)
        . " and 4 more; $MISSED; $ALERTS | "
        . perf(crons_failing => 24, crons_missed => 1,
               alerts_undelivered => 3, alerts_given_up => 1),
          '24 failing crons, 20 listed: the count is the total; the "|" of '
        . 'a slug shown as U+00A6');
is(($r->{out} =~ tr/|//), 1, 'one "|" in the whole output: the perfdata\'s');
own_wipe();

# ------------------------------------------ the database under test (main)

my $MP = port_of();
my @main = ('-H', $IP, '-p', $MP);
my $BASE = "http://$IP:$MP";

# ---- a cron failed through the API (2)
my $fail = seed_cron('00-cc-fail', 1);
my $e = start_exec($fail);
end_exec($e, { type => 'error', success => JSON::false });
$r = ok_plugin(plugin(@main), 1,
      qr/\ACHARON WARNING - \d+ crons? whose latest run failed or was lost: 00-cc-fail[,; ]/,
      'a cron that failed (through the API): WARNING, exit 1, listed');
my ($n_said) = $r->{out} =~ /\ACHARON WARNING - (\d+) crons? whose latest/;
my ($n_perf) = $r->{out} =~ / \| 'crons_failing'=(\d+);/;
ok(defined $n_said && defined $n_perf && $n_said == $n_perf && $n_said >= 1,
   "'crons_failing' is the line's count of failing crons")
    or diag $r->{out};

# ---- a slot missed, as the watchdog judges it (3)
my $missed = seed_cron('00-cc-missed', 1);
set_schedule($missed, '@every 1m', undef, 30);
wait_watched($missed);
my $w = rewind_watch($missed, POSIX::floor(db_now()) - 600);
is($w && $w->{last_state}, 'missed',
   'the watchdog judged the cron\'s latest slot missed');
$r = ok_plugin(plugin(@main), 1,
      qr/(?:\ACHARON WARNING - |; )\d+ crons? that missed (?:their|its) latest slot: 00-cc-missed[,; ]/,
      'a cron that missed its latest slot: WARNING, exit 1, listed');
($n_said) = $r->{out} =~ /(?:- |; )(\d+) crons? that missed/;
($n_perf) = $r->{out} =~ / 'crons_missed'=(\d+);/;
ok(defined $n_said && defined $n_perf && $n_said == $n_perf && $n_said >= 1,
   "'crons_missed' is the line's count of crons that missed their slot")
    or diag $r->{out};

# ---- the default mode does not look at the crons (1)
ok_plugin(plugin(@main, '--query', ''), 0, 'CHARON OK - database answers',
          "--query '' with failing crons: OK, exit 0");

# ---- the database down (3)
my @nodb = ('-H', $IP, '-p', port_of('charon_vhost_nodb'));
ok_plugin(plugin(@nodb), 2, 'CHARON CRITICAL - database unavailable',
          'a database that cannot be opened: CRITICAL (503), exit 2, no '
        . 'perfdata');
ok_plugin(plugin(@nodb, '--query', ''), 2,
          'CHARON CRITICAL - database unavailable',
          '... in the default mode too');
ok_plugin(plugin('-H', $IP, '-p', port_of('charon_vhost_noschema')), 2,
          'CHARON CRITICAL - the database schema is incomplete (see the '
        . 'error log)',
          'a database without the schema: CRITICAL, exit 2');

# ---- a bad query: UNKNOWN 3, not 1 (2)
my $BAD_Q = 'CHARON UNKNOWN - the query string may be empty, crons, or '
          . 'crons&strict';
ok_plugin(plugin(@main, '--query', 'cron'), 3, $BAD_Q,
          'a typo in --query: charon-health\'s 400 UNKNOWN, exit 3');
ok_plugin(plugin(@main, '-u', "$H?strict"), 3, $BAD_Q,
          'a query string in -u that it does not know: exit 3');

# ---- answers that are not charon-health's (6)
ok_plugin(plugin(@main, '-u', "/denied$H"), 3,
          "CHARON UNKNOWN - HTTP 403 Forbidden from $BASE/denied$H?crons: "
        . "not an answer of charon-health (refused by httpd's access "
        . "control: see the mount's Require)",
          'a mount the monitoring host may not read (403): UNKNOWN, exit 3');
ok_plugin(plugin(@main, '-u', '/no-such-charon-health'), 3,
          "CHARON UNKNOWN - HTTP 404 Not Found from "
        . "$BASE/no-such-charon-health?crons: not an answer of "
        . 'charon-health (no charon-health there: is -u the mount\'s path?)',
          'a path where nothing is mounted (404): UNKNOWN, exit 3');
ok_plugin(plugin(@main, '-u', '/charon-metrics', '--query', ''), 3,
          qr/\ACHARON UNKNOWN - HTTP 200 OK from \Q$BASE\E\/charon-metrics: not an answer of charon-health \(it begins "# HELP /,
          'another handler\'s 200 (the metrics): UNKNOWN, exit 3');
ok_plugin(plugin(@main, '-u', '/charon-manager'), 3,
          "CHARON UNKNOWN - HTTP 401 Unauthorized from "
        . "$BASE/charon-manager?crons: not an answer of charon-health (it "
        . 'needs a password: -a USER:PASSWORD, or --header)',
          'behind Basic auth, no -a (401): UNKNOWN, exit 3');
my $pw = 'not-the-password-4711';
$r = ok_plugin(plugin(@main, '-u', '/charon-manager', '-a', "operator:$pw"), 3,
          qr/\ACHARON UNKNOWN - HTTP 401 Unauthorized from /,
          'a wrong password (401): UNKNOWN, exit 3');
my $b64 = MIME::Base64::encode_base64("operator:$pw", '');
$r = plugin(@main, '-u', '/charon-manager', '-a', 'operator:operator-test-pw');
ok($r->{rc} == 3 && $r->{out} =~ /\ACHARON UNKNOWN - HTTP (\d+) .*not an answer of charon-health/
   && $1 != 401
   && $r->{out} !~ /operator-test-pw|not-the-password|\Q$b64\E/,
   'the right password, the manager\'s page: UNKNOWN; no password printed')
    or diag $r->{out};

# ---- no connection, no answer (2)
my $free = IO::Socket::INET->new(LocalAddr => $IP, LocalPort => 0,
                                 Proto => 'tcp', Listen => 1) or die $!;
my $free_port = $free->sockport;
close $free;
ok_plugin(plugin('-H', $IP, '-p', $free_port), 3,
          "CHARON UNKNOWN - cannot connect to $IP:$free_port: connection "
        . 'refused',
          'connection refused: UNKNOWN, exit 3');
my $silent = IO::Socket::INET->new(LocalAddr => $IP, LocalPort => 0,
                                   Proto => 'tcp', Listen => 5) or die $!;
my $silent_port = $silent->sockport;
$r = ok_plugin(plugin('-H', $IP, '-p', $silent_port, '-t', '1'), 3,
          "CHARON UNKNOWN - no answer from $IP:$silent_port within 1 s (-t)",
          'a server that never answers, -t 1: UNKNOWN, exit 3');
ok($r->{secs} >= 0.9 && $r->{secs} < 5, 'after about 1 s')
    or diag "$r->{secs} s";
close $silent;

# ------------------------------------- a one-shot server: unusual answers

# fake($raw_answer) -> ($port, $request): a server on 127.0.0.1 that
# answers the first request with these bytes; $request->() waits for it
# and gives back the request's head.
sub fake {
    my ($answer) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => $IP, LocalPort => 0,
                                  Proto => 'tcp', Listen => 5) or die $!;
    pipe(my $rd, my $wr) or die $!;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        alarm 30;
        my $c = $l->accept or POSIX::_exit(1);
        my $head = '';
        while ($head !~ /\r?\n\r?\n/) {
            sysread($c, my $buf, 4096) or last;
            $head .= $buf;
        }
        syswrite $c, $answer;
        close $c;
        syswrite $wr, $head;
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    my $port = $l->sockport;
    close $l;
    return ($port, sub {
        my $head = do { local $/; <$rd> } // '';
        close $rd;
        waitpid $pid, 0;
        return $head;
    });
}

sub answer {
    my ($status, $body, @h) = @_;
    my %h = ('Content-Type' => 'text/plain; charset=utf-8', @h);
    return "HTTP/1.1 $status\r\n"
         . join('', map { "$_: $h{$_}\r\n" } sort keys %h)
         . 'Content-Length: ' . length($body) . "\r\nConnection: close\r\n\r\n"
         . $body;
}

# ---- the request: -a, --header, the URL (2)
my ($fp, $got) = fake(answer('200 OK', "OK: database answers\n"));
$r = ok_plugin(plugin('-H', $IP, '-p', $fp, '-a', 'nagios:s3cret-pw!',
                      '--header', 'X-Charon-Probe: probe-token-123'), 0,
               'CHARON OK - database answers',
               'a fake charon-health: OK read as OK');
my $req = $got->();
my $cred = MIME::Base64::encode_base64('nagios:s3cret-pw!', '');
my @why;
push @why, 'request line' unless $req =~ m{\AGET /charon-health\?crons HTTP/1\.1\r\n};
push @why, 'Host' unless $req =~ /^Host: \Q$IP:$fp\E\r$/mi;
push @why, 'Authorization' unless $req =~ /^Authorization: Basic \Q$cred\E\r$/mi;
push @why, '--header' unless $req =~ /^X-Charon-Probe: probe-token-123\r$/mi;
push @why, 'a secret in the output'
    if $r->{out} =~ /s3cret|probe-token|\Q$cred\E/;
ok(!@why, 'sent: GET /charon-health?crons, Host, Basic credentials, the '
        . '--header; none of them printed') or diag join "\n", @why, $req;

# ---- a status that does not go with the word (2)
($fp, $got) = fake(answer('200 OK', "CRITICAL: made up\n"));
ok_plugin(plugin('-H', $IP, '-p', $fp), 3,
          "CHARON UNKNOWN - HTTP 200 OK from http://$IP:$fp$H?crons: "
        . 'charon-health never says CRITICAL with this status: made up',
          'a 200 with a CRITICAL line: UNKNOWN, exit 3');
$got->();
($fp, $got) = fake(answer('500 Internal Server Error', "OK: fine\n"));
ok_plugin(plugin('-H', $IP, '-p', $fp), 3,
          qr/\ACHARON UNKNOWN - HTTP 500 Internal Server Error from .*: charon-health never says OK with this status: fine\z/,
          'a 500 with an OK line: UNKNOWN, exit 3');
$got->();

# ---- a WARNING line not understood: no count made up (1)
($fp, $got) = fake(answer('503 Service Unavailable',
                          "WARNING: 2 frobs are late\n"));
ok_plugin(plugin('-H', $IP, '-p', $fp), 1,
          'CHARON WARNING - 2 frobs are late',
          'a WARNING line of another kind (503, strict): WARNING, exit 1, '
        . 'no perfdata');
$got->();

# ---- more lines: the long output (1)
($fp, $got) = fake(answer('200 OK', "WARNING: 1 cron whose latest run "
                        . "failed or was lost: a\nsecond | line\nthird\n"));
$r = plugin('-H', $IP, '-p', $fp);
$got->();
is($r->{out}, 'CHARON WARNING - 1 cron whose latest run failed or was '
            . 'lost: a | ' . perf(crons_failing => 1)
            . "\nsecond ${BROKEN_BAR} line\nthird\n",
   'the body\'s other lines: the long output, after the perfdata');

# ---- not charon-health (3)
($fp, $got) = fake(answer('302 Found', '',
                          Location => "https://$IP/charon-health"));
ok_plugin(plugin('-H', $IP, '-p', $fp), 3,
          "CHARON UNKNOWN - HTTP 302 Found from http://$IP:$fp$H?crons: not "
        . "an answer of charon-health (redirected to https://$IP/"
        . 'charon-health, not followed: are -S, -p and -u right?)',
          'a redirect: not followed, UNKNOWN, exit 3');
$got->();
($fp, $got) = fake(answer('200 OK', "HEALTHY: fine\n"));
ok_plugin(plugin('-H', $IP, '-p', $fp), 3,
          "CHARON UNKNOWN - HTTP 200 OK from http://$IP:$fp$H?crons: not an "
        . 'answer of charon-health (it begins "HEALTHY: fine")',
          'a first word that is none of the four: UNKNOWN, exit 3');
$got->();
($fp, $got) = fake(answer('200 OK', "OK: database answers\n",
                          'Content-Type' => 'text/html'));
ok_plugin(plugin('-H', $IP, '-p', $fp), 3,
          qr/\ACHARON UNKNOWN - HTTP 200 OK from .*: not an answer of charon-health \(it begins "OK: database answers"\)\z/,
          'the right words as text/html: UNKNOWN, exit 3');
$got->();

# ------------------------------------------------------- the command line

# ---- (4)
ok_plugin(plugin('-p', $MP), 3,
          'CHARON UNKNOWN - -H HOST is required (check_charon --help)',
          'no -H: UNKNOWN, exit 3, one line');
ok_plugin(plugin(@main, '-u', 'charon-health'), 3,
          qr/\ACHARON UNKNOWN - -u: the path of the mount, beginning with \//,
          '-u that is not a path: UNKNOWN, exit 3');
$r = plugin('--exec', '-V');
ok($r->{rc} == 3 && $r->{out} eq "check_charon v1.0.0 (mod_charon)\n"
   && !length $r->{err},
   '-V, running the file itself (its #! line and mode): the version, '
 . 'exit 3') or diag explain $r;
$r = plugin('-h');
ok($r->{rc} == 3 && $r->{out} =~ /\Ausage: check_charon -H HOST/
   && $r->{out} =~ /0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN/
   && $r->{out} =~ /'crons_failing'/,
   '-h: usage, the exit codes, the perfdata labels; exit 3')
    or diag $r->{out};

purge_cron($_) for qw(00-cc-fail 00-cc-missed);
no_leak_ok();

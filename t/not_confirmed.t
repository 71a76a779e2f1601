# 503 means "not confirmed": a database that commits and then goes away
# before its answer arrives leaves a write behind a 503.  A retry with the
# same Idempotency-Key then gets the first answer, and nothing twice.
#
# A second server (t/lib/SecondServer.pm) reaches the database through a
# proxy started here.  Armed (SIGUSR1), the proxy lets a COMMIT through,
# waits for the database's answer, and cuts the connection instead of
# passing it on.  Armed with SIGUSR2, it keeps the connection open and
# passes nothing more from the database: a server that stopped answering
# (a Galera node frozen), which only the module's bound on a statement
# ends (MySQL: the socket shut down after 6 s; PostgreSQL's PQcancel
# would go to the server and leave the read waiting, so that half runs on
# MySQL only).  SQLite has no connection to cut.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use SecondServer;
use IO::Select;
use IO::Socket::INET;
use LWP::UserAgent;
use JSON::PP ();
use POSIX ();
use Time::HiRes ();

my $drv = dbh()->{Driver}{Name};
plan skip_all => 'SQLite: no connection between the module and the database'
    if $drv eq 'SQLite';
my $mysql = $drv ne 'Pg';
plan tests => 7 + ($mysql ? 4 : 0);

my $params = $ENV{CHARON_TEST_DBDPARAMS} // '';
my ($db_port) = $params =~ /\bport=(\d+)/;
die "no port in CHARON_TEST_DBDPARAMS\n" unless $db_port;

my $cut_file = Apache::Test::vars('t_logs') . '/not_confirmed.cut';
unlink $cut_file, "$cut_file.armed";

# The proxy, in a child process: every connection accepted is paired with
# one to the database.  SIGUSR1 arms it for one cut.
my $listen = IO::Socket::INET->new(Listen => 64, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, Proto => 'tcp', ReuseAddr => 1)
    or die "proxy: $!";
my $proxy_port = $listen->sockport;
my $proxy = fork // die "fork: $!";
if (!$proxy) {
    my $armed = 0;    # 1: cut after the COMMIT; 2: silence after it
    local $SIG{USR1} = sub { $armed = 1 };
    local $SIG{USR2} = sub { $armed = 2 };
    my $sel = IO::Select->new($listen);
    # fileno -> the other socket; server fileno -> 0, or the mode armed
    my (%peer, %cut);
    my $close = sub {
        my ($s) = @_;
        my $o = delete $peer{fileno $s};
        for my $x ($s, $o ? $o : ()) {
            delete $peer{fileno $x};
            delete $cut{fileno $x};
            $sel->remove($x);
            close $x;
        }
    };
    my $said = 0;
    while (1) {
        my @ready = $sel->can_read(0.1);
        if ($armed && !$said) {    # the test waits for this before its request
            if (open my $fh, '>', "$cut_file.armed") { close $fh }
            $said = 1;
        }
        $said = 0 if !$armed;
        for my $s (@ready) {
            if ($s == $listen) {
                my $c = $listen->accept or next;
                my $d = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$db_port",
                                              Proto => 'tcp') or do { close $c; next };
                $peer{fileno $c} = $d;
                $peer{fileno $d} = $c;
                $cut{fileno $d} = 0;
                $sel->add($c, $d);
                next;
            }
            my $o = $peer{fileno $s} or next;
            my $n = sysread $s, my $buf, 65536;
            if (!$n) { $close->($s); next }
            if (exists $cut{fileno $s} && $cut{fileno $s}) {
                # The database answered the COMMIT: the client never hears.
                if (open my $fh, '>', $cut_file) { close $fh }
                if ($cut{fileno $s} == 1) { $close->($s) }
                next;    # 2: silence, the connection left open
            }
            if ($armed && !exists $cut{fileno $s} && $buf =~ /COMMIT/) {
                $cut{fileno $o} = $armed;
                $armed = 0;
            }
            syswrite $o, $buf;
        }
    }
}
close $listen;
END { if ($proxy) { kill 'TERM', $proxy; waitpid $proxy, 0 } }

(my $via = $params) =~ s/\bport=\d+/port=$proxy_port/;
my $cron = seed_cron('nc-cron', 1);
my $second = SecondServer::start(name => 'nc-second',
                                 extra => qq{DBDParams "$via"\n});
ok($second, 'a second server runs, its database reached through the proxy')
    or BAIL_OUT('no second server');

my $ua = LWP::UserAgent->new(timeout => 20);
my $start = sub {
    my $r = HTTP::Request->new(GET => "http://127.0.0.1:$second->{port}"
                                     . "/api/$cron/start");
    $r->header('X-API-KEY' => 'test-key-second-0123456789');
    $r->header('Idempotency-Key' => $_[0]) if defined $_[0];
    return $ua->request($r);
};
is($start->()->code, 200, 'a start through the proxy: 200');

my $before = count_executions($cron);
kill 'USR1', $proxy;
my $until = time + 10;
select undef, undef, undef, 0.05 while !-e "$cut_file.armed" && time < $until;
my $res = $start->('commit-then-cut');
is($res->code, 503, 'the COMMIT reached the database, its answer did not: 503')
    or diag $res->as_string;
ok(-e $cut_file && count_executions($cron) == $before + 1,
   'and the start was written all the same')
    or diag 'cut ' . (-e $cut_file ? 'done' : 'not done') . ', executions '
          . (count_executions($cron) - $before);

my $again = $start->('commit-then-cut');
my $body = eval { JSON::PP::decode_json($again->content) } // {};
my $row = executions_of($cron)->[-1] // {};
ok($again->code == 200 && ($again->header('Idempotent-Replayed') // '') eq 'true',
   'the retry with the same Idempotency-Key replays the first answer')
    or diag $again->as_string;
is($body->{id} // 0, $row->{id} // -1, 'the id of the execution that was written');
is(count_executions($cron), $before + 1, 'nothing written twice');

exit 0 unless $mysql;

# A database that stops answering after the COMMIT reached it.
unlink $cut_file, "$cut_file.armed";
$before = count_executions($cron);
kill 'USR2', $proxy;
$until = time + 10;
select undef, undef, undef, 0.05 while !-e "$cut_file.armed" && time < $until;
my $t0 = Time::HiRes::time();
$res = $start->('commit-then-silence');
my $took = Time::HiRes::time() - $t0;
is($res->code, 503, 'no answer to the COMMIT: 503 once the bound passed, '
                  . 'not a request held for ever')
    or diag sprintf("%.1f s: %s", $took, $res->as_string);
ok(-e $cut_file && count_executions($cron) == $before + 1,
   sprintf('the start was written all the same (answered in %.1f s)', $took))
    or diag 'silence ' . (-e $cut_file ? 'began' : 'never began')
          . ', executions ' . (count_executions($cron) - $before);
$again = $start->('commit-then-silence');
ok($again->code == 200 && ($again->header('Idempotent-Replayed') // '') eq 'true',
   'the retry with the same Idempotency-Key replays the first answer')
    or diag $again->as_string;
is(count_executions($cron), $before + 1, 'nothing written twice');

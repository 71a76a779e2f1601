package SecondServer;

# A second Apache server on the suite's database, for the tests of what
# several servers do together (t/two_servers.t, t/alerts_two_servers.t):
# a plain httpd with its own port, logs and runtime directory under
# t/logs/<name>, the same database (t/conf/db.conf), a watchdog tick every
# second, plus what the test adds.  Stopped, and waited for, at the end of
# the test whatever happens, so that the suite's database is the main
# server's alone afterwards.

use strict;
use warnings;

use Apache::Test ();
use File::Path qw(make_path);
use IO::Socket::INET;

my @running;    # [httpd command, pid file]

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, Proto => 'tcp')
        or die "no free port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

# start(name => 'second', extra => "directives\n") -> { port, logs,
# error_log } once it answers, or undef when it did not come up in 20 s.
sub start {
    my (%o) = @_;
    my $httpd = Apache::Test::vars('httpd');
    my $t_dir = Apache::Test::vars('t_dir');
    my $logs = Apache::Test::vars('t_logs') . '/' . ($o{name} // 'second');
    my $conf = "$logs/httpd.conf";
    my $modules = '/usr/lib/apache2/modules';
    my $port = free_port();
    my $extra = $o{extra} // '';
    make_path($logs);
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh <<"CONF";
# Written by t/lib/SecondServer.pm: a second server on the suite's database.
ServerRoot "$t_dir"
DefaultRuntimeDir "$logs"
PidFile "$logs/httpd.pid"
ErrorLog "$logs/error_log"
LogLevel warn charon:debug
Listen 127.0.0.1:$port
ServerName 127.0.0.1
<IfModule !mpm_event_module>
  <IfModule !mpm_worker_module>
    <IfModule !mpm_prefork_module>
      LoadModule mpm_event_module $modules/mod_mpm_event.so
    </IfModule>
  </IfModule>
</IfModule>
LoadModule dbd_module $modules/mod_dbd.so
# Without an authorization module httpd refuses every request (AH00025).
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule charon_module "$t_dir/../.libs/mod_charon.so"
Include "$t_dir/conf/db.conf"
CharonWatchdogInterval 1
<Location "/api/">
    SetHandler charon
    Require all granted
    CharonApiKey second test-key-second-0123456789
</Location>
$extra
CONF
    close $fh;
    # Under `make test-asan` httpd needs the sanitizer runtimes preloaded
    # to load the module at all (TEST.PL's wrapper, "env LD_PRELOAD=..."):
    # the second server gets them too, and its leak reports join the main
    # one's.  Not valgrind's wrapper: that checks the main server, and a
    # second one under it would take longer to start than this waits.
    my @wrap = grep { length } split ' ', ($ENV{CHARON_TEST_HTTPD_WRAPPER} // '');
    @wrap = () unless @wrap && $wrap[0] eq 'env';
    my @cmd = (@wrap, $httpd, '-f', $conf, '-k');
    return undef unless system(@cmd, 'start') == 0;
    push @running, [\@cmd, "$logs/httpd.pid"];
    my $deadline = time + 20;
    while (time < $deadline) {
        return { port => $port, logs => $logs, error_log => "$logs/error_log" }
            if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1);
        select undef, undef, undef, 0.2;
    }
    return undef;
}

END {
    for my $r (@running) {
        my ($cmd, $pidfile) = @$r;
        my $pid = do { local (@ARGV, $/) = $pidfile; <> } if -e $pidfile;
        system(@$cmd, 'stop');
        for (1 .. 100) {
            last unless $pid && kill 0, $pid + 0;
            select undef, undef, undef, 0.1;
        }
    }
}

1;

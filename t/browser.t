# The manager page (charon-manager) in a real browser: headless Chromium
# (Debian's /usr/bin/chromium) driven by playwright-core through
# t/browser/manager.mjs, which creates a cron (once without JavaScript),
# switches it off with a reason, sees the API refuse it, switches it on,
# runs it through the API and sees the run and its messages on the page,
# sets its schedule and sees its next slots, and makes crons with slugs and
# names of 70 and 150 characters, whose pages must be no wider than the
# window.
# Each check of the script is one test here.
#
# It runs on the SQLite pass only: the page's SQL is the other tests'
# business on every database, and one browser run is enough for what only a
# browser sees. On SQLite, a missing node, chromium or playwright-core is a
# FAILURE, not a skip: `make test` installs them (scripts/deps.sh, and
# scripts/deps.sh --browser into build/browser).
#
# Screenshots: the script writes them to t/logs/screenshots
# (manager-list.png, manager-cron-off.png, manager-cron-run.png, and
# manager-long-slugs.png, the list of the long ones), which
# harness/apache_test.py keeps with the run's logs: they show the test's
# own crons, for whoever reads a failure. The README's pictures are of the
# demo instead, made by `make screenshots` (harness/screenshots.py).
#
# Run alone: python3 -m harness.apache_test sqlite -- t/browser.t. Where
# things are (overrides for a TEST.PL run by hand): CHARON_TEST_BROWSER_DIR
# (default build/browser, whose node_modules holds playwright-core; the
# harness copies it into its copy of the tree), CHARON_TEST_CHROMIUM
# (default /usr/bin/chromium).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use File::Path ();
use File::Temp ();
use JSON ();
use POSIX ();
use Time::HiRes ();

my $kind = db_kind();
plan skip_all => "the browser test runs on the SQLite pass only (this is $kind)"
    unless $kind eq 'sqlite';

my $top = "$FindBin::Bin/..";
my $pw_dir = $ENV{CHARON_TEST_BROWSER_DIR} || "$top/build/browser";
my $chromium = $ENV{CHARON_TEST_CHROMIUM} || '/usr/bin/chromium';
my $script = "$FindBin::Bin/browser/manager.mjs";
my $logs = Apache::Test::vars('t_logs') || "$FindBin::Bin/logs";
my $shots = "$logs/screenshots";

# ---- what it needs: missing is a failure (make test installs it)
my $node = (grep { -x } map { "$_/node" } split /:/, $ENV{PATH} // '')[0];
my @missing;
push @missing, 'node (Debian package nodejs: scripts/deps.sh)' unless $node;
push @missing, "$chromium (Debian package chromium: scripts/deps.sh)" unless -x $chromium;
push @missing, "playwright-core in $pw_dir/node_modules (scripts/deps.sh --browser)"
    unless -f "$pw_dir/node_modules/playwright-core/package.json";
if (@missing) {
    plan tests => 1;
    ok(0, 'node, chromium and playwright-core are installed')
        or diag "missing: " . join('; ', @missing)
              . "\n(make test installs them; by hand: scripts/deps.sh --browser)";
    exit 0;
}

# ---- run the script
my ($host, $port) = Apache::TestRequest::hostport() =~ /^(.*):(\d+)$/
    or BAIL_OUT('no host:port from Apache::TestRequest');
my $addr = Apache::Test::vars('remote_addr') || '127.0.0.1';
File::Path::rmtree($shots);
File::Path::mkpath($shots);

my $out = File::Temp->new(DIR => $logs, TEMPLATE => 'browser-out.XXXXXX');
my $err = File::Temp->new(DIR => $logs, TEMPLATE => 'browser-err.XXXXXX');
my %env = (
    CHARON_BASE_URL       => "http://$addr:$port",
    CHARON_MANAGER_PATH   => '/charon-manager',
    CHARON_MANAGER_USER   => 'operator',
    CHARON_MANAGER_PASS   => 'operator-test-pw',
    CHARON_API_PATH       => '/api/',
    CHARON_API_KEY        => KEY_GLOBAL,
    CHARON_PLAYWRIGHT_DIR => $pw_dir,
    CHARON_CHROMIUM       => $chromium,
    CHARON_SCREENSHOT_DIR => $shots,
);
my $t0 = Time::HiRes::time();
my $pid = fork // die "fork: $!";
if (!$pid) {
    @ENV{keys %env} = values %env;
    open STDIN, '<', '/dev/null';
    open STDOUT, '>&', $out or POSIX::_exit(126);
    open STDERR, '>&', $err or POSIX::_exit(126);
    exec $node, $script or POSIX::_exit(127);
}
# The script stops itself after 90 s; this is the backstop.
my $status;
my $deadline = $t0 + 120;
while (1) {
    my $w = waitpid $pid, POSIX::WNOHANG();
    if ($w == $pid) { $status = $?; last }
    if (Time::HiRes::time() > $deadline) {
        kill TERM => $pid;
        Time::HiRes::sleep(3);
        kill KILL => $pid;
        waitpid $pid, 0;
        $status = -1;
        last;
    }
    Time::HiRes::sleep(0.1);
}
my $took = Time::HiRes::time() - $t0;

# ---- its checks, as tests
my $slurp = sub {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    return scalar <$fh> // '';
};
my $stdout = $slurp->($out->filename);
my $stderr = $slurp->($err->filename);
my (@plan, %result, @aborts, $done, @noise);
for my $line (split /\n/, $stdout) {
    my $o = eval { JSON::decode_json($line) };
    if (ref $o ne 'HASH') { push @noise, $line; next }
    if ($o->{plan})             { @plan = @{ $o->{plan} } }
    elsif (defined $o->{check}) { $result{ $o->{check} } = $o }
    elsif (defined $o->{abort}) { push @aborts, $o->{abort} }
    elsif ($o->{done})          { $done = 1 }
}

plan tests => @plan + 1;
diag sprintf 'browser script: %.1f s', $took;
diag "the script stopped early: $_" for @aborts;

for my $name (@plan) {
    my $r = $result{$name};
    if (!$r) {
        ok(0, "$name (not reached)");
        next;
    }
    ok($r->{ok}, $name) or diag $r->{diag};
}

my $clean_end = $status == 0 && $done && !@aborts;
ok($clean_end, 'the browser script ran to its end')
    or diag sprintf "exit status %s%s%s%s%s", $status == -1 ? 'killed after 120 s' : $status >> 8,
        ($done ? '' : ', no "done" line'),
        join('', map { "\nstopped early: $_" } @aborts),
        (@noise ? "\nother output:\n" . join("\n", @noise[0 .. ($#noise < 20 ? $#noise : 20)]) : ''),
        (length $stderr ? "\nstderr:\n" . substr($stderr, -3000) : '');

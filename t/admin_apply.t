# charon-run apply (docs/CHARON-RUN.md, "Crons as code") against the real
# management API, on every database: a file of crons is made the server's
# crons, a second run reports no change, an edit is an update, an
# operator's switch-off survives, --dry-run changes nothing, --prune
# deletes what the file no longer lists (within the key's patterns), and
# a bad file sends nothing.
#
# The binary is built here from tools/*.c like t/charon_run.t builds it
# (CHARON_RUN_BIN=/path tests another build); a build that fails is a
# failure of every test, never a skip.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use File::Temp ();
use POSIX ();

my $TESTS = 28;
plan tests => $TESTS;

use constant {
    KEY_ADM_WRITE  => 'test-key-adm-write-0123456789',
    KEY_ADM_READ   => 'test-key-adm-read-0123456789',
    KEY_ADM_SCOPED => 'test-key-adm-scoped-0123456789',
};

my $tmp = File::Temp->newdir;
my ($BIN, $build_log) = build_charon_run("$tmp");
unless (ok(-x $BIN, "charon-run built from tools/*.c ($BIN)")) {
    diag "build output:\n$build_log";
    fail("charon-run is missing: not tested") for 2 .. $TESTS;
    exit 0;
}

my $URL = Apache::TestRequest::resolve_url('/admin/api/');

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    my $s = <$fh>;
    return $s // '';
}

sub spew {
    my ($f, $text) = @_;
    open my $fh, '>', $f or die "write $f: $!";
    print {$fh} $text;
    close $fh;
}

# apply($file, [args], key => ..., url => ...): { code, out, err }.
my $n = 0;
sub apply {
    my ($file, $args, %o) = @_;
    my $i = ++$n;
    my %env = (PATH => $ENV{PATH} // '/usr/bin:/bin', LANG => 'C.UTF-8',
               HOME => "$tmp/home", XDG_CONFIG_HOME => "$tmp/xdg",
               CHARON_ADMIN_URL => $o{url} // $URL,
               CHARON_API_KEY => $o{key} // KEY_ADM_WRITE);
    mkdir "$tmp/home";
    mkdir "$tmp/xdg";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$tmp/out.$i";
        open STDERR, '>', "$tmp/err.$i";
        %ENV = %env;
        exec({ $BIN } $BIN, 'apply', '--no-config', @{ $args || [] }, $file)
            or POSIX::_exit(250);
    }
    waitpid $pid, 0;
    return { code => $? >> 8, out => slurp("$tmp/out.$i"),
             err => slurp("$tmp/err.$i") };
}

sub show { my ($r) = @_; return "exit $r->{code}\n$r->{out}$r->{err}" }

sub doc {
    my ($slug) = @_;
    my $res = req(GET => "/admin/api/crons/$slug", key => KEY_ADM_WRITE);
    return $res->code == 200 ? decode_body($res) : undef;
}

sub audit_rows {
    return scalar dbh()->selectrow_array(
        q{SELECT COUNT(*) FROM charon_audit WHERE slug LIKE 'adm-b-%'});
}

# Every cron of the scoped key's patterns ("adm-b-*") starts from nothing.
sub clean {
    my $ids = dbh()->selectcol_arrayref(
        q{SELECT slug FROM charon_cron WHERE slug LIKE 'adm-b-%'});
    purge_cron($_) for @$ids;
    dbh()->do(q{DELETE FROM charon_audit WHERE slug LIKE 'adm-b-%'});
}
clean();

my $file = "$tmp/crons.ini";
spew($file, <<'INI');
# crons of team B
[adm-b-backup]
name = Nightly backup
schedule = 0 3 * * *
timezone = Europe/Paris
grace = 10m
concurrency = forbid
max_runtime = 1h

[adm-b-report]
name = Weekly report
schedule = @weekly
failure_threshold = 2
realert_every = 1h
INI

# ---- first run: create ----------------------------------------------------
my $r = apply($file);
ok($r->{code} == 0, 'first apply: exit 0') or diag(show($r));
ok($r->{out} eq "create adm-b-backup\ncreate adm-b-report\n"
   . "apply: 2 created, 0 updated, 0 unchanged, 0 deleted\n",
   'it says what it created') or diag(show($r));
my $d = doc('adm-b-backup') || {};
ok(($d->{schedule} // '') eq '0 3 * * *' && $d->{grace} == 600
   && $d->{max_runtime} == 3600 && $d->{concurrency} eq 'forbid'
   && $d->{timezone} eq 'Europe/Paris', 'the server holds the file')
    or diag(explain($d));
$d = doc('adm-b-report') || {};
ok($d->{failure_threshold} == 2 && $d->{realert_every} == 3600
   && $d->{grace} == 300, 'absent fields take their defaults')
    or diag(explain($d));

# ---- second run: nothing changes -------------------------------------------
my $audit = audit_rows();
$r = apply($file);
ok($r->{code} == 0 && $r->{out} eq "unchanged adm-b-backup\n"
   . "unchanged adm-b-report\n"
   . "apply: 0 created, 0 updated, 2 unchanged, 0 deleted\n",
   'the same file again: no change') or diag(show($r));
ok(audit_rows() == $audit, 'and nothing recorded');

# ---- an operator's switch-off survives a deploy -------------------------------
req(POST => '/admin/api/crons/adm-b-backup/off', key => KEY_ADM_WRITE,
    json => { reason => 'disk full' });
$r = apply($file);
ok($r->{code} == 0 && $r->{out} =~ /^unchanged adm-b-backup$/m,
   'the switch is not part of the definition') or diag(show($r));
$d = doc('adm-b-backup') || {};
ok(!$d->{active} && ($d->{off_reason} // '') eq 'disk full',
   'the cron stays off') or diag(explain($d));

# ---- an edit is an update ------------------------------------------------------------
(my $edited = slurp($file)) =~ s/^grace = 10m$/grace = 15m/m;
$edited =~ s/^max_runtime = 1h\n//m;
spew($file, $edited);
$r = apply($file);
ok($r->{code} == 0
   && $r->{out} =~ /^update adm-b-backup: .*grace 600 -> 900/m
   && $r->{out} =~ /max_runtime 3600 -> null/
   && $r->{out} =~ /^unchanged adm-b-report$/m
   && $r->{out} =~ /^apply: 0 created, 1 updated, 1 unchanged, 0 deleted$/m,
   'an edit: update with the fields, old -> new') or diag(show($r));
$d = doc('adm-b-backup') || {};
ok($d->{grace} == 900 && !defined $d->{max_runtime}, 'the server has it')
    or diag(explain($d));

# ---- prune ---------------------------------------------------------------------------
req(PUT => '/admin/api/crons/adm-b-old', key => KEY_ADM_WRITE,
    json => { name => 'Old' });
my $eid = start_exec(cron_id('adm-b-old'));
purge_cron('adm-a-keep');
req(PUT => '/admin/api/crons/adm-a-keep', key => KEY_ADM_WRITE,
    json => { name => 'Not team B' });
$audit = audit_rows();
$r = apply($file, ['--prune', '--dry-run'], key => KEY_ADM_SCOPED);
ok($r->{code} == 0 && $r->{out} =~ /^\(dry run\) delete adm-b-old$/m
   && $r->{out} =~ /^\(dry run\) apply: 0 created, 0 updated, 2 unchanged, 1 deleted$/m,
   '--prune --dry-run says what it would delete') or diag(show($r));
ok(cron_id('adm-b-old') && execution($eid) && audit_rows() == $audit,
   'and deletes nothing, records nothing');
$r = apply($file, ['--prune'], key => KEY_ADM_SCOPED);
ok($r->{code} == 0 && $r->{out} =~ /^delete adm-b-old$/m
   && $r->{out} !~ /adm-a-keep/,
   '--prune deletes what the file no longer lists') or diag(show($r));
ok(!cron_id('adm-b-old') && !execution($eid),
   'with its executions');
ok(cron_id('adm-a-keep'), "a cron outside the key's patterns is kept");
ok(cron_id('adm-b-backup') && cron_id('adm-b-report'),
   'the file\'s crons are kept');
$r = apply($file, ['--prune'], key => KEY_ADM_SCOPED);
ok($r->{code} == 0 && $r->{out} =~ /^apply: 0 created, 0 updated, 2 unchanged, 0 deleted$/m,
   'prune twice: nothing more') or diag(show($r));

# ---- dry run of a new cron ---------------------------------------------------------------
spew("$tmp/new.ini", "[adm-b-new]\nname = New\nschedule = \@daily\n");
$r = apply("$tmp/new.ini", ['--dry-run']);
ok($r->{code} == 0 && $r->{out} =~ /^\(dry run\) create adm-b-new$/m,
   '--dry-run of a new cron says create') or diag(show($r));
ok(!cron_id('adm-b-new'), 'and creates nothing');

# ---- refusals ----------------------------------------------------------------------------
$audit = audit_rows();
spew("$tmp/bad.ini", "[adm-b-x]\nname = X\ncolour = red\n[adm-b/y]\nname = Y\n");
$r = apply("$tmp/bad.ini");
ok($r->{code} == 65 && $r->{err} =~ /bad\.ini:3: /
   && $r->{err} =~ /bad\.ini:4: /, 'a file with mistakes: 65, each named')
    or diag(show($r));
ok(!cron_id('adm-b-x') && audit_rows() == $audit, 'and nothing sent');
$r = apply($file, [], key => KEY_ADM_READ);
ok($r->{code} == 1 && $r->{err} =~ /adm-b-backup: 403/,
   'a read key: 403 reported, exit 1') or diag(show($r));
$r = apply($file, [], key => KEY_GLOBAL);
ok($r->{code} == 1 && $r->{err} =~ /403/, 'a run-only key: 403, exit 1')
    or diag(show($r));
spew("$tmp/other.ini", "[adm-a-keep]\nname = Taken\n");
$r = apply("$tmp/other.ini", [], key => KEY_ADM_SCOPED);
ok($r->{code} == 1 && $r->{err} =~ /adm-a-keep: 403/,
   "a cron outside the key's patterns: 403") or diag(show($r));
ok((doc('adm-a-keep') || {})->{name} eq 'Not team B', 'and it is unchanged');
$r = apply($file, [], url => 'http://127.0.0.1:9/admin/api/');
ok($r->{code} == 69, 'no server: 69') or diag(show($r));

clean();
purge_cron('adm-a-keep');
dbh()->do(q{DELETE FROM charon_audit WHERE slug = 'adm-a-keep'});
no_leak_ok();

use strict;
use warnings;

# Who may use the management API (docs/MANAGEMENT.md, "Access"): no key,
# a key with the run API's rights only, a key of another mount or virtual
# host, a read key, a write key, a key limited to slug patterns, and
# httpd's own authentication (operator may change, auditor only read).

use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use CharonTest;
use MIME::Base64 ();

plan tests => 38;

use constant {
    KEY_ADM_WRITE  => 'test-key-adm-write-0123456789',
    KEY_ADM_READ   => 'test-key-adm-read-0123456789',
    KEY_ADM_SCOPED => 'test-key-adm-scoped-0123456789',
};

my %PW = (operator => 'operator-test-pw', auditor => 'auditor-test-pw',
          visitor => 'visitor-test-pw');

sub basic {
    my ($user) = @_;
    return ('Authorization' => 'Basic '
            . MIME::Base64::encode_base64("$user:$PW{$user}", ''));
}

sub api { my ($m, $p, %o) = @_; return req($m, "/admin/api/$p", %o) }
sub web { my ($m, $p, %o) = @_; return req($m, "/admin/httpd/$p", %o) }

sub fresh {
    my ($slug) = @_;
    purge_cron($slug);
    dbh()->do('DELETE FROM charon_audit WHERE slug = ?', undef, $slug);
}

fresh($_) for qw(acc-1 adm-b-1 adm-a-1 acc-web);

# ---- nobody, and keys that are not for this API --------------------------------
ok_problem(api(GET => 'crons'), 401, 'no key: 401');
ok_problem(api(GET => 'nothing/here'), 401,
           'no key on a route that does not exist: 401, not 404');
ok_problem(api(PUT => 'crons/acc-1', json => { name => 'x' }), 401,
           'no key, PUT: 401');
ok_problem(api(GET => 'crons', key => 'not-a-key-0123456789'), 401,
           'an unknown key: 401');
ok_problem(api(GET => 'crons', key => KEY_CLEAR), 401,
           "another mount's key: 401");
ok_problem(api(GET => 'crons', key => KEY_VHOST_A), 401,
           "another virtual host's key: 401");
ok_problem(api(GET => 'crons', key => KEY_GLOBAL), 403,
           'a key with the run API rights only: 403');
ok_problem(api(PUT => 'crons/acc-1', key => KEY_GLOBAL,
               json => { name => 'x' }), 403, '... and for a change');
ok(!cron_id('acc-1'), 'nothing was created');

# ---- read and write keys ---------------------------------------------------------
ok_json(api(GET => 'crons', key => KEY_ADM_READ), 'read key: GET crons 200',
        keys => [qw(items next_cursor)]);
ok_problem(api(PUT => 'crons/acc-1', key => KEY_ADM_READ,
               json => { name => 'x' }), 403, 'read key: PUT 403');
ok(!cron_id('acc-1'), 'nothing was created');
ok_json(api(PUT => 'crons/acc-1', key => KEY_ADM_WRITE,
            json => { name => 'Access 1' }), 'write key: PUT 201',
        status => 201);
ok_json(api(GET => 'crons/acc-1', key => KEY_ADM_READ),
        'read key: GET the cron 200', fields => { name => 'Access 1' });
ok_problem(api(PATCH => 'crons/acc-1', key => KEY_ADM_READ,
               json => { grace => 60 }), 403, 'read key: PATCH 403');
ok_problem(api(POST => 'crons/acc-1/off', key => KEY_ADM_READ, json => {}),
           403, 'read key: off 403');
ok_problem(api(DELETE => 'crons/acc-1', key => KEY_ADM_READ), 403,
           'read key: DELETE 403');
ok(cron_id('acc-1'), 'the cron is still there');
my $res = api(GET => 'alerts', key => KEY_ADM_READ);
ok($res->code == 200 && $res->content =~ /mgrsecret/
   && $res->content !~ /mgr-secret-token/, 'read key: alerts without secrets')
    or diag($res->as_string);

# ---- a key limited to some crons -----------------------------------------------------
ok_json(api(PUT => 'crons/adm-b-1', key => KEY_ADM_SCOPED,
            json => { name => 'B' }), 'scoped key: PUT of its cron 201',
        status => 201);
ok_problem(api(PUT => 'crons/adm-a-1', key => KEY_ADM_SCOPED,
               json => { name => 'A' }), 403,
           'scoped key: PUT of another cron 403');
ok(!cron_id('adm-a-1'), 'nothing was created');
api(PUT => 'crons/adm-a-1', key => KEY_ADM_WRITE, json => { name => 'A' });
ok_problem(api(GET => 'crons/adm-a-1', key => KEY_ADM_SCOPED), 403,
           'scoped key: GET of another cron 403');
my @slugs;
my $cursor;
my $pages = 0;
do {
    my $d = decode_body(api(GET => 'crons?limit=200'
        . (defined $cursor ? "&cursor=$cursor" : ''), key => KEY_ADM_SCOPED));
    push @slugs, map { $_->{slug} } @{ $d->{items} || [] };
    $cursor = $d->{next_cursor};
} while (defined $cursor && ++$pages < 50);
ok((grep { $_ eq 'adm-b-1' } @slugs) && !(grep { !/^adm-b-/ } @slugs),
   'scoped key: the list holds its crons only') or diag("@slugs");
my $eid = start_exec(cron_id('adm-a-1'));
ok_problem(api(GET => "executions/$eid", key => KEY_ADM_SCOPED), 403,
           "scoped key: another cron's execution 403");
my $d = decode_body(api(GET => 'audit', key => KEY_ADM_SCOPED));
ok(@{ $d->{items} || [] } && !(grep { $_->{slug} !~ /^adm-b-/ }
                                    @{ $d->{items} }),
   'scoped key: the record of its crons only');

# ---- httpd's own authentication ----------------------------------------------------------
$res = web(GET => 'crons');
ok($res->code == 401 && ($res->header('WWW-Authenticate') // '') =~ /Basic/,
   "no credentials: httpd's 401") or diag($res->as_string);
$res = web(GET => 'crons', headers => [basic('visitor')]);
ok($res->code == 401, "a user Require does not let in: httpd's 401");
ok_json(web(GET => 'crons', headers => [basic('auditor')]),
        'auditor: GET 200', keys => [qw(items next_cursor)]);
$res = web(PUT => 'crons/acc-web', headers => [basic('auditor')],
           json => { name => 'W' });
ok($res->code == 401 && !cron_id('acc-web'),
   'auditor: PUT refused by Require (401), nothing created')
    or diag($res->as_string);
ok_json(web(PUT => 'crons/acc-web', headers => [basic('operator')],
            json => { name => 'Web' }), 'operator: PUT 201', status => 201);
ok_json(web(PATCH => 'crons/acc-web', headers => [basic('operator')],
            json => { grace => 77 }), 'operator: PATCH 200',
        fields => { grace => 77 });
$d = decode_body(web(GET => 'audit?slug=acc-web',
                     headers => [basic('operator')]));
ok(join(',', map { "$_->{who}/$_->{action}" } @{ $d->{items} || [] })
   eq 'user:operator/patch,user:operator/create',
   'the record names the user') or diag(explain($d));
# A key is judged alone, even with credentials httpd accepted.
ok_problem(web(PATCH => 'crons/acc-web',
               headers => [basic('operator')],
               key => 'test-key-adm-web-read-0123456789',
               json => { grace => 78 }), 403,
           'operator with a read key: the key decides (403)');
ok_problem(web(PATCH => 'crons/acc-web',
               headers => [basic('operator')], key => KEY_GLOBAL,
               json => { grace => 78 }), 403,
           'operator with a run-only key: 403');
ok_problem(web(GET => 'crons', headers => [basic('operator')],
               key => KEY_ADM_READ), 401,
           "operator with another mount's key: 401 (keys are per mount)");
$d = decode_body(api(GET => 'crons/acc-web', key => KEY_ADM_READ));
ok($d->{grace} == 77, 'and nothing changed');

fresh($_) for qw(acc-1 adm-b-1 adm-a-1 acc-web);
no_leak_ok();

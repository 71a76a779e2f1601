# Mounts, virtual hosts and the merging of keys between levels.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

plan tests => 40;

my $slug = 'cfg-main';
my $cron = seed_cron($slug, 1);
my %can = (keys => [qw(slug canStart cronId)], numbers => ['cronId'],
           fields => { slug => $slug, canStart => 1, cronId => $cron });

# ---- the documented mount, with the server-level key
ok_json(req(GET => "/api/$slug/can-start", key => KEY_GLOBAL),
        'server-level key works in <Location /api/>', %can);

# ---- another mount: routes are relative to it
ok_json(req(GET => "/jobs/charon/api/$slug/can-start", key => KEY_GLOBAL),
        '/jobs/charon/api/{slug}/can-start with the server-level key', %can);
ok_problem(req(GET => "/jobs/charon/api/$slug/can-start", key => KEY_CLEAR),
           401, 'a key of <Location /api/> is not valid in /jobs/charon/api/');
ok_problem(req(GET => "/jobs/charon/api/$slug/can-start", key => KEY_HASHED),
           401, 'hashed key of /api/ is not valid in /jobs/charon/api/');
ok_problem(req(GET => "/jobs/charon/api/$slug/can-start", key => KEY_FILE),
           401, 'key-file key of /api/ is not valid in /jobs/charon/api/');

my $res = req(GET => "/jobs/charon/api/$cron/start", key => KEY_GLOBAL);
my $d = ok_json($res, 'start under /jobs/charon/api/', keys => ['id'],
                numbers => ['id']);
my $exec = $d->{id} // 0;
my $row = execution($exec);
ok($row && $row->{cron_id} == $cron && ($row->{api_key} // '') eq 'app-global',
   'execution stored for the cron, with key name app-global')
    or diag explain $row;

$res = req(POST => "/jobs/charon/api/$exec/message", key => KEY_GLOBAL,
           json => { message => 'from the second mount', type => 'info' });
$d = ok_json($res, 'message under /jobs/charon/api/', keys => ['id'],
             numbers => ['id']);
my $msgs = messages_of($exec);
ok(@$msgs == 1 && $msgs->[0]{id} == ($d->{id} // 0)
   && $msgs->[0]{message} eq 'from the second mount'
   && $msgs->[0]{type} eq 'info', 'message row stored')
    or diag explain $msgs;

$res = req(POST => "/jobs/charon/api/$exec/end", key => KEY_GLOBAL,
           json => { type => 'success', success => JSON::true });
ok_json($res, 'end under /jobs/charon/api/', keys => ['id'],
        fields => { id => $exec });
$row = execution($exec);
ok($row && defined $row->{ended_at} && $row->{type} eq 'success'
   && $row->{success} == 1, 'execution ended in the database')
    or diag explain $row;

ok_problem(req(GET => "/jobs/charon/api/api/$slug/can-start", key => KEY_GLOBAL),
           404, 'the mount prefix is not part of the route');
ok_problem(req(GET => "/jobs/charon/api/$slug/can-start/x", key => KEY_GLOBAL),
           404, 'extra path segment under /jobs/charon/api/: 404');

# ---- /small/: its own key plus the server-level one
ok_json(req(GET => "/small/$slug/can-start", key => KEY_SMALL),
        '/small/ key works in /small/', %can);
ok_json(req(GET => "/small/$slug/can-start", key => KEY_GLOBAL),
        'server-level key works in /small/', %can);
ok_problem(req(GET => "/small/$slug/can-start", key => KEY_CLEAR),
           401, 'key of /api/ is not valid in /small/');
ok_problem(req(GET => "/api/$slug/can-start", key => KEY_SMALL),
           401, 'key of /small/ is not valid in /api/');

# ---- virtual hosts
my $va = 'charon_vhost_a';
my $vb = 'charon_vhost_b';
ok(Apache::Test::vars("${va}_port") && Apache::Test::vars("${vb}_port")
   && Apache::Test::vars("${va}_port") != Apache::Test::vars("${vb}_port")
   && Apache::Test::vars("${va}_port") != Apache::Test::vars('port'),
   'the two virtual hosts have their own ports');

ok_json(req(GET => "/api/$slug/can-start", key => KEY_VHOST_A, vhost => $va),
        'vhost A key works on vhost A', %can);
ok_problem(req(GET => "/api/$slug/can-start", key => KEY_VHOST_A, vhost => $vb),
           401, 'vhost A key is refused on vhost B');
ok_problem(req(GET => "/api/$slug/can-start", key => KEY_VHOST_A),
           401, 'vhost A key is refused on the main server /api/');
ok_problem(req(GET => "/jobs/charon/api/$slug/can-start", key => KEY_VHOST_A),
           401, 'vhost A key is refused on the main server /jobs/charon/api/');
ok_problem(req(GET => "/small/$slug/can-start", key => KEY_VHOST_A),
           401, 'vhost A key is refused on the main server /small/');

ok_json(req(GET => "/api/$slug/can-start", key => KEY_VHOST_B, vhost => $vb),
        'vhost B key works on vhost B', %can);
ok_problem(req(GET => "/api/$slug/can-start", key => KEY_VHOST_B, vhost => $va),
           401, 'vhost B key is refused on vhost A');
ok_problem(req(GET => "/api/$slug/can-start", key => KEY_VHOST_B),
           401, 'vhost B key is refused on the main server');

ok_json(req(GET => "/api/$slug/can-start", key => KEY_GLOBAL, vhost => $va),
        'server-level key is inherited by vhost A', %can);
ok_json(req(GET => "/api/$slug/can-start", key => KEY_GLOBAL, vhost => $vb),
        'server-level key is inherited by vhost B', %can);

ok_problem(req(GET => "/api/$slug/can-start", vhost => $va),
           401, 'no key on vhost A: 401');

# Each server has its own mounts: a mount that only one virtual host has
# is routed there (once, every server shared the last server's list).
ok_json(req(GET => "/only-a/$slug/can-start", key => KEY_VHOST_A, vhost => $va),
        'vhost A routes under its own mount /only-a/', %can);
ok_json(req(GET => "/only-b/$slug/can-start", key => KEY_VHOST_B, vhost => $vb),
        'vhost B routes under its own mount /only-b/', %can);

# start on a vhost records that vhost's key name
my $before = count_executions($cron);
$res = req(GET => "/api/$cron/start", key => KEY_VHOST_A, vhost => $va);
$d = ok_json($res, 'start on vhost A with its key', keys => ['id'],
             numbers => ['id']);
$row = execution($d->{id} // 0);
ok($row && ($row->{api_key} // '') eq 'app-vhost-a'
   && $row->{cron_id} == $cron, 'execution records key name app-vhost-a')
    or diag explain $row;
is(count_executions($cron), $before + 1, 'exactly one execution created');

$before = count_executions($cron);
ok_problem(req(GET => "/api/$cron/start", key => KEY_VHOST_A, vhost => $vb),
           401, 'start on vhost B with vhost A key: 401');
ok_problem(req(POST => "/api/$cron/start", key => KEY_VHOST_B, vhost => $va),
           401, 'POST start on vhost A with vhost B key: 401');
is(count_executions($cron), $before, 'refused starts created nothing');

# a vhost's key cannot end an execution on another host, but can on its own
$res = req(POST => "/api/" . ($d->{id} // 0) . "/end", key => KEY_VHOST_A,
           vhost => $vb, json => { type => 'info', success => JSON::false });
ok_problem($res, 401, 'end on vhost B with vhost A key: 401');
$res = req(POST => "/api/" . ($d->{id} // 0) . "/end", key => KEY_VHOST_A,
           vhost => $va, json => { type => 'info', success => JSON::false });
ok_json($res, 'end on vhost A with its key', keys => ['id'],
        fields => { id => $d->{id} // 0 });

no_leak_ok();

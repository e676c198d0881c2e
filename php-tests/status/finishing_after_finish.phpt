--TEST--
The state is "Running", then "Finishing" after fastcgi_finish_request(), as FPM reports it
--EXTENSIONS--
fpm_compat
--INI--
fpm_compat.status=1
--FILE--
<?php
echo fpm_get_status()['procs'][0]['state'], "\n";
fastcgi_finish_request();
echo fpm_get_status()['procs'][0]['state'], "\n";
?>
--EXPECT--
Running
Finishing

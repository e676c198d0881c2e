--TEST--
stubs/fpm_compat.stub.php matches what the extension registers (names, parameters, return types)
--EXTENSIONS--
fpm_compat
--FILE--
<?php
$stub = file_get_contents(__DIR__ . '/../../stubs/fpm_compat.stub.php');
preg_match_all('/^function\s+(\w+)\s*\(([^)]*)\)\s*:\s*([\w|?]+)/m', $stub, $m, PREG_SET_ORDER);
$fromStub = [];
foreach ($m as [, $name, $params, $ret]) {
    $fromStub[$name] = trim($params) . ': ' . $ret;
}
$fromReflection = [];
foreach ((new ReflectionExtension('fpm_compat'))->getFunctions() as $name => $f) {
    $params = implode(', ', array_map(fn($p) => $p->getType() . ' $' . $p->getName(), $f->getParameters()));
    $fromReflection[$name] = $params . ': ' . $f->getReturnType();
}
ksort($fromStub);
ksort($fromReflection);
if ($fromStub === $fromReflection) {
    echo "stub and extension agree on ", count($fromStub), " functions\n";
} else {
    echo "DRIFT\nstub: ", var_export($fromStub, true), "\nextension: ", var_export($fromReflection, true), "\n";
}
?>
--EXPECT--
stub and extension agree on 7 functions

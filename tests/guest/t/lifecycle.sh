# SPDX-License-Identifier: GPL-2.0
# Module lifecycle: load/unload LIFECYCLE_CYCLES times with a swtpm attached
# (rmmod refused while it serves) and detached (rmmod succeeds).
. tests/guest/lib.sh
n=${LIFECYCLE_CYCLES:-30}
bad=0
i=0
while [ $i -lt $n ]; do
	i=$((i + 1))
	load_module || { bad=$((bad + 1)); echo "# $i: load failed"; continue; }
	if vtpm_start /tmp/lifecycle; then
		$TPY check --dev /dev/tpmsafe$VT_NUM > /dev/null 2>&1 || { bad=$((bad + 1)); echo "# $i: command failed"; }
		rmmod tpm_safe 2>/dev/null && { bad=$((bad + 1)); echo "# $i: rmmod succeeded while swtpm attached"; }
		vtpm_stop || { bad=$((bad + 1)); echo "# $i: device did not go"; }
	else
		bad=$((bad + 1))
		echo "# $i: swtpm did not attach"
		# it holds /dev/tpmsafe-vtpmx (and so the module) until it goes
		vtpm_stop || echo "# $i: device did not go"
	fi
	objects_balanced > /dev/null || { bad=$((bad + 1)); echo "# $i: objects unbalanced"; }
	rmmod tpm_safe || { bad=$((bad + 1)); echo "# $i: rmmod failed"; }
done
echo "FIGURE lifecycle: $n load/attach/command/detach/unload cycles, $bad bad"
check "$n module load/unload cycles with a swtpm attached and detached" [ $bad -eq 0 ]
finish

#!/bin/bash
# The Slurm shims outside batch scripts: squeue and sinfo columns compared
# field by field with Slurm 22.05's, squeue filters and formats, pending
# reasons, scancel, sacct from the job history, srun (labels, exit codes,
# SLURM_* in tasks, --mpi, stdin and -i), salloc (a local $SHELL in the
# allocation, or a command) and errors like Slurm's with nothing submitted.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

export PATH="$FLUX_BUILD_DIR/contrib/slurm-compat:$PATH"
njobs() { flux jobs -a -n | wc -l; }

test_expect_success 'squeue header is Slurm'"'"'s, field by field' '
    squeue >sq.out &&
    printf "%18s %9s %8s %8s %2s %10s %6s %s\n" JOBID PARTITION NAME USER ST TIME NODES "NODELIST(REASON)" >sq.exp &&
    test_cmp sq.exp sq.out
'
test_expect_success 'sinfo header and row are Slurm'"'"'s' '
    sinfo >si.out &&
    sed -n 1p si.out >si.head &&
    echo "PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST" >si.exp &&
    test_cmp si.exp si.head &&
    sed -n 2p si.out >si.row &&
    read part avail limit nodes state list <si.row &&
    test "$part" = "debug*" && test "$avail" = up && test "$limit" = infinite &&
    test "$nodes" = 2 && test "$state" = idle && test "$list" = "$(hostname)"
'
test_expect_success 'sinfo -N, -s, -R, -h' '
    sinfo -N -h >sn.out && test $(wc -l <sn.out) -eq 2 &&
    sinfo -s | sed -n 1p | grep -q "^PARTITION AVAIL  TIMELIMIT   NODES(A/I/O/T) NODELIST$" &&
    sinfo -s -h | grep -q " 0/2/0/2 " &&
    sinfo -R | sed -n 1p | grep -q "^REASON  *USER  *TIMESTAMP  *NODELIST$"
'
test_expect_success 'sinfo -R lists a drained node with its reason' '
    flux resource drain 1 "bad dimm" &&
    sinfo -R -h | grep -q "^bad dimm" &&
    sinfo -h -t drain | grep -q " drain " &&
    flux resource undrain 1
'
test_expect_success 'srun runs tasks and labels their output (-l)' '
    srun -n2 -l echo hi | sort >l.out &&
    printf "0: hi\n1: hi\n" >l.exp &&
    test_cmp l.exp l.out
'
test_expect_success 'srun exits with the largest task exit code' '
    test_expect_code 5 srun -n2 sh -c "exit \$((SLURM_PROCID + 4))" 2>x.err &&
    grep -q "exit code 5" x.err
'
test_expect_success 'srun exits 128+N when a task is killed by signal N' '
    test_expect_code 137 srun sh -c "kill -9 \$\$"
'
test_expect_success 'srun tasks get SLURM_* for their rank and the job' '
    srun -n2 -N1 -c1 -J envjob sh -c "echo \$SLURM_PROCID \$SLURM_LOCALID \$SLURM_NODEID \$SLURM_NTASKS \$SLURM_NNODES \$SLURM_JOB_NAME \$SLURM_STEP_ID \$SLURM_CLUSTER_NAME" |
        sort >env.out &&
    printf "0 0 0 2 1 envjob 0 fluxd\n1 1 0 2 1 envjob 0 fluxd\n" >env.exp &&
    test_cmp env.exp env.out &&
    id=$(srun printenv SLURM_JOB_ID) &&
    flux jobs -a -n -o "{id.dec}" | grep -qx "$id" &&
    test "$(srun printenv SLURM_SUBMIT_DIR)" = "$PWD"
'
test_expect_success 'srun -N2 spreads tasks over both nodes' '
    srun -N2 -n4 printenv SLURM_NODEID | sort | uniq -c | awk "{print \$1, \$2}" >nodes.out &&
    printf "2 0\n2 1\n" >nodes.exp &&
    test_cmp nodes.exp nodes.out
'
test_expect_success 'srun and sbatch jobs run with no exit-timeout (Slurm leaves the other tasks running)' '
    srun -n1 sh -c "flux job info \$FLUX_JOB_ID jobspec" >srun-js.out &&
    jq -e ".attributes.system.shell.options[\"exit-timeout\"] == \"none\"" srun-js.out &&
    id=$(sbatch --parsable -H --wrap true) &&
    flux job info $(flux job id $id) jobspec >sbatch-js.out &&
    jq -e ".attributes.system.shell.options[\"exit-timeout\"] == \"none\"" sbatch-js.out &&
    scancel $id
'
test_expect_success 'srun --mpi maps to the shell PMI option' '
    srun --mpi=pmi2 -n2 printenv PMI_RANK | sort | paste -sd, >pmi.out &&
    echo 0,1 >pmi.exp && test_cmp pmi.exp pmi.out &&
    test_must_fail srun --mpi=none -n1 printenv PMI_RANK &&
    srun --mpi=list | grep -q pmix
'
test_expect_success 'srun sends its stdin to every task by default (srun(1) -i all)' '
    printf "in\n" | srun -N2 -n2 -l cat | sort >in.out &&
    printf "0: in\n1: in\n" >in.exp &&
    test_cmp in.exp in.out &&
    printf "in\n" | srun -n2 -l -i all cat | sort >inall.out &&
    test_cmp in.exp inall.out
'
test_expect_success 'srun -i 1 sends stdin to task 1 only, the others read /dev/null' '
    printf "one\n" | srun -N2 -n2 -l -i 1 sh -c "cat; echo end" | sort >in1.out &&
    printf "0: end\n1: end\n1: one\n" >in1.exp &&
    test_cmp in1.exp in1.out
'
test_expect_success 'srun -i none: tasks read /dev/null' '
    printf "dropped\n" | srun -n2 -l -i none sh -c "cat; echo end" | sort >innone.out &&
    printf "0: end\n1: end\n" >innone.exp &&
    test_cmp innone.exp innone.out
'
test_expect_success 'srun -i FILE: every task reads FILE; a missing one is an error' '
    printf "f\n" >srun-in.txt &&
    srun -n2 -l -i srun-in.txt cat | sort >infile.out &&
    printf "0: f\n1: f\n" >infile.exp &&
    test_cmp infile.exp infile.out &&
    test_must_fail srun -i nosuch.txt cat 2>infile.err &&
    grep "input nosuch.txt: No such file or directory" infile.err
'
test_expect_success 'srun < 1 MB of binary input: cksum agrees' '
    head -c 1000000 /dev/urandom >srun-bin &&
    cksum <srun-bin >srun-bin.sum &&
    srun cksum <srun-bin >srun-run.sum &&
    test_cmp srun-bin.sum srun-run.sum
'
test_expect_success 'salloc with no command runs $SHELL here in the allocation, then relinquishes it' '
    echo "srun hostname; exit" | SHELL=/bin/sh salloc -N1 >sa.out 2>sa.err &&
    hostname >sa.exp &&
    test_cmp sa.exp sa.out &&
    id=$(sed -n "s/^salloc: Granted job allocation //p" sa.err) &&
    test -n "$id" &&
    grep -q "^salloc: Relinquishing job allocation $id$" sa.err &&
    flux job wait-event -t 30 $id clean &&
    flux job eventlog $id | grep -q "exception.*type=\"cancel\""
'
test_expect_success 'the salloc shell has the allocation: SLURM_JOB_ID, nodes, its instance FLUX_URI' '
    outer=$FLUX_URI &&
    echo "echo \$SLURM_JOB_ID \$SLURM_NNODES \$SLURM_JOB_NODELIST; echo \$FLUX_URI; srun printenv SLURM_JOB_ID; exit 7" |
        SHELL=/bin/sh test_expect_code 7 salloc -N1 >env.out 2>env.err &&
    id=$(sed -n "s/^salloc: Granted job allocation //p" env.err) &&
    echo "$id 1 $(hostname)" >env.exp &&
    sed -n 1p env.out >env.line1 &&
    test_cmp env.exp env.line1 &&
    test "$(sed -n 2p env.out)" != "$outer" &&
    test "$(sed -n 3p env.out)" = "$id"
'
test_expect_success 'salloc COMMAND gets salloc'"'"'s stdin' '
    echo piped | salloc -N1 cat >sacmd.out 2>/dev/null &&
    echo piped >sacmd.exp &&
    test_cmp sacmd.exp sacmd.out
'
test_expect_success 'srun cancels its job on SIGINT and follows it to the end' '
    { srun -J intme sleep 60 >int.out 2>int.err & } &&
    pid=$! &&
    wait_for 30 sh -c "squeue -h -n intme -o %t | grep -qx R" &&
    kill -INT $pid &&
    test_expect_code 143 wait $pid &&
    grep -q "forcing job termination" int.err &&
    squeue -h -t all -n intme -o %t | grep -qx CA
'
test -x "$FLUX_BUILD_DIR/testsuite/helpers/pmix-client" && test_set_prereq PMIX
test_expect_success PMIX 'srun --mpi=pmix flux start: an instance over the allocation, booted by PMIx' '
    srun -N2 --mpi=pmix flux start sh -c "flux getattr size; flux getattr broker.boot-method" >spmix.out &&
    printf "2\npmix\n" >spmix.exp &&
    test_cmp spmix.exp spmix.out &&
    test "$(srun -N2 --mpi=pmi2 flux start flux getattr broker.boot-method)" = pmi
'
test_expect_success 'srun errors are Slurm'"'"'s and submit nothing' '
    n=$(njobs) &&
    test_expect_code 1 srun --bogus true 2>e1 &&
    grep -q "^srun: unrecognized option .--bogus.$" e1 &&
    test_expect_code 1 srun -t 1:2:3:4 true 2>e2 &&
    grep -q "^srun: error: Invalid --time specification$" e2 &&
    test_expect_code 1 srun --tmp=1G true 2>e3 &&
    grep -q "^srun: error: option --tmp is not supported by the fluxd Slurm shims" e3 &&
    test_expect_code 1 srun 2>e4 &&
    grep -q "No command given" e4 &&
    test $(njobs) -eq $n &&
    test_expect_code 1 srun -N 8 -n 8 true 2>e5 &&
    grep -q "^srun: error: Unable to allocate resources" e5
'
test_expect_success 'a held job is PD (JobHeldUser); pending jobs show Resources/Priority' '
    held=$(sbatch --parsable -H -J held --wrap true) &&
    squeue -h -j $held -o "%i %t %R %j" >h.out &&
    echo "$held PD (JobHeldUser) held" >h.exp &&
    test_cmp h.exp h.out &&
    big1=$(sbatch --parsable -N2 -n2 --exclusive -J hog --wrap "sleep 30") &&
    wait_for 30 sh -c "squeue -h -j $big1 -o %t | grep -qx R" &&
    p1=$(sbatch --parsable -N2 -n2 --exclusive --wrap true) &&
    p2=$(sbatch --parsable -N2 -n2 --exclusive --wrap true) &&
    wait_for 30 sh -c "squeue -h -j $p1 -o %R | grep -qx \"(Resources)\"" &&
    squeue -h -j $p2 -o %R | grep -qx "(Priority)" &&
    squeue -h -t PD -o %i >pd.out &&
    grep -qx $p1 pd.out && grep -qx $held pd.out && ! grep -qx $big1 pd.out &&
    squeue -h -j $big1 -o "%t %D %N" | grep -qx "R 2 $(hostname)" &&
    scancel $p1 $p2 $big1 $held
'
test_expect_success 'a cancelled or timed-out batch job leaves no copy of its script behind' '
    mkdir -p tmpd &&
    id=$(TMPDIR=$PWD/tmpd sbatch --parsable --wrap "sleep 300") &&
    wait_for 20 sh -c "ls tmpd | grep -q ^sbatch\\." &&
    scancel $id &&
    flux job wait-event -t 30 $id clean &&
    id=$(TMPDIR=$PWD/tmpd sbatch --parsable -t 0:02 --wrap "sleep 300") &&
    flux job wait-event -t 30 $id clean &&
    ls tmpd >left &&
    ! grep "^sbatch\\." left
'
# JobID%20: as Slurm's, sacct cuts a JobID wider than its 12 columns to 11
# and '+', and the ids of an instance up for a minute have 13 digits.
test_expect_success 'scancel cancels; sacct shows the ended jobs with Slurm states' '
    id=$(sbatch --parsable --wrap "sleep 60") &&
    wait_for 30 sh -c "squeue -h -j $id -o %t | grep -qx R" &&
    scancel $id &&
    wait_for 30 sh -c "squeue -h -t all -j $id -o %t | grep -qx CA" &&
    sacct -n -j $id -o JobID%20,State | grep -q "^$id  *CANCELLED" &&
    ok=$(sbatch --parsable --wait --wrap true) &&
    bad=$(sbatch --parsable --wait --wrap "exit 2" || true) &&
    sacct -P -n -j $ok,$bad -o JobID,State,ExitCode >acct.out &&
    grep -qx "$ok|COMPLETED|0:0" acct.out &&
    sacct -P -n -o JobID,State,ExitCode | grep -q "|FAILED|2:0$" &&
    held=$(sbatch --parsable -H --wrap true) &&
    scancel $held &&
    wait_for 30 sh -c "squeue -h -t all -j $held -o %t | grep -qx CA" &&
    test "$(sacct -P -n -j $held -o State,ExitCode)" = "CANCELLED|0:0"
'
test_expect_success 'srun in srun: a step of the outer job (N.1, N.2), not a job of its own' '
    test_expect_code 1 srun -n1 -J outer sh -c "echo \$SLURM_STEP_ID; srun -n1 sh -c \"echo \\\$SLURM_STEP_ID\"; srun -n1 false" >sis.out 2>sis.err &&
    test "$(cat sis.out | paste -sd,)" = "0,1" &&
    id=$(sacct -n -P -X -o JobID,JobName | sed -n "s/|outer$//p" | tail -1) &&
    test -n "$id" &&
    sacct -n -P -o JobID,JobName,State,ExitCode -j $id >sis.acct &&
    cat sis.acct &&
    test "$(sed -n 2p sis.acct)" = "$id.0|outer|FAILED|1:0" &&
    test "$(sed -n 3p sis.acct)" = "$id.1|sh|COMPLETED|0:0" &&
    test "$(sed -n 4p sis.acct)" = "$id.2|false|FAILED|1:0" &&
    ! sacct -n -P -X -o JobName | grep -qx false
'
test_expect_success 'squeue -s: running steps (N.0..., N.batch, srun'"'"'s own N.0) in Slurm'"'"'s step format' '
    id=$(sbatch --parsable -J stepjob --wrap "srun -J stepA sleep 120") &&
    { srun -J solo sleep 120 >solo.out 2>&1 & } &&
    spid=$! &&
    wait_for 30 sh -c "squeue -h -s -o %i | grep -qx $id.0" &&
    wait_for 30 sh -c "squeue -h -s -o %j | grep -qx solo" &&
    squeue -s >steps.out &&
    cat steps.out &&
    printf "%15s %8s %9s %8s %9s %s\n" STEPID NAME PARTITION USER TIME NODELIST >steps.exp &&
    head -1 steps.out >steps.head &&
    test_cmp steps.exp steps.head &&
    squeue -h -s -o "%i|%j|%A|%u" >steps.p &&
    grep -qx "$id.0|stepA|1|$(id -un)" steps.p &&
    grep -qx "$id.batch|batch|1|$(id -un)" steps.p &&
    test "$(grep -n "^$id\." steps.p | cut -d: -f1 | paste -sd,)" = \
        "$(grep -n "^$id.0|" steps.p | cut -d: -f1),$(grep -n "^$id.batch|" steps.p | cut -d: -f1)" &&
    solo=$(grep "|solo|" steps.p | cut -d"|" -f1) &&
    test "${solo##*.}" = 0 &&
    test "$(squeue -h -s $id.batch -o %i)" = "$id.batch" &&
    test "$(squeue -h --steps=$id.0 -o %j)" = stepA &&
    test "$(squeue -h -s -j $id -o %i | paste -sd,)" = "$id.0,$id.batch" &&
    test_expect_code 1 squeue -s bogus 2>s.err &&
    grep -q "Invalid job step id" s.err &&
    squeue -h -j $id -o %i >jobs.only &&
    test "$(cat jobs.only)" = "$id" &&
    scancel $id "${solo%.0}" &&
    { wait $spid || true; } &&
    wait_for 30 sh -c "! squeue -h -s -o %i | grep -q ."
'
test_expect_success 'scancel N.S cancels one step and the allocation goes on; N.0 of srun is its job' '
    id=$(sbatch --parsable --wrap "srun -J s0 sleep 120; echo after=\$?; srun -J s1 true") &&
    wait_for 30 sh -c "squeue -h -s -o %i | grep -qx $id.0" &&
    test_expect_code 1 scancel $id.7 2>e7 &&
    grep -q "Kill job error on job id $id.7: Invalid job id specified" e7 &&
    scancel $id.0 &&
    flux job wait-event -t 60 $id clean &&
    sacct -n -P -j $id -o JobID,State >st &&
    grep -qx "$id|COMPLETED" st &&
    grep -qx "$id.0|CANCELLED" st &&
    grep -qx "$id.1|COMPLETED" st &&
    grep -q "after=143" slurm-$id.out &&
    test_expect_code 1 scancel $id.1 2>e1 &&
    grep -q "already completing or completed" e1 &&
    { srun -J outer2 sh -c "srun -J inner sleep 120; echo inner=\$?; sleep 120" >sis2.out 2>&1 & } &&
    pid=$! &&
    wait_for 30 sh -c "squeue -h -s -o \"%i %j\" | grep -q \" inner$\"" &&
    outer=$(squeue -h -n outer2 -o %i) &&
    scancel $outer.1 &&
    wait_for 30 sh -c "grep -q inner=143 sis2.out" &&
    test "$(squeue -h -j $outer -o %t)" = R &&
    scancel $outer.0 &&
    { wait $pid || true; } &&
    wait_for 30 sh -c "squeue -h -t all -j $outer -o %t | grep -qx CA"
'
test_expect_success 'in a batch job, squeue, sbatch, scancel and sinfo address the enclosing instance' '
    cat >chain.sh <<-EOF &&
	#!/bin/sh
	squeue -h -j \$SLURM_JOB_ID -o %t >$PWD/chain.st
	sinfo -h -o %D >$PWD/chain.nodes
	sbatch --parsable -J chained --wrap true >$PWD/chain.next
	EOF
    id=$(sbatch --parsable -N1 --wait chain.sh) &&
    test "$(cat chain.st)" = R &&
    test "$(awk "{n += \$1} END {print n}" chain.nodes)" = 2 &&
    next=$(cat chain.next) &&
    test -n "$next" &&
    wait_for 30 sh -c "sacct -n -P -X -j $next -o JobName,State | grep -qx chained.COMPLETED" &&
    me=$(sbatch --parsable --wrap "scancel \$SLURM_JOB_ID; sleep 60") &&
    wait_for 30 sh -c "squeue -h -t all -j $me -o %t | grep -qx CA"
'
test_expect_success 'sacct default columns and header line are Slurm'"'"'s' '
    sacct | sed -n 1,2p >ah.out &&
    printf "%-12s %10s %10s %10s %10s %10s %8s \n" JobID JobName Partition Account AllocCPUS State ExitCode >ah.exp &&
    printf "%s %s %s %s %s %s %s \n" ------------ ---------- ---------- ---------- ---------- ---------- -------- >>ah.exp &&
    test_cmp ah.exp ah.out
'
test_expect_success 'scancel by name, by user, --signal; bad ids fail like Slurm' '
    a=$(sbatch --parsable -J victim --wrap "sleep 60") &&
    scancel --name=victim &&
    wait_for 30 sh -c "squeue -h -t all -j $a -o %t | grep -qx CA" &&
    b=$(sbatch --parsable --wrap "sleep 60") &&
    wait_for 30 sh -c "squeue -h -j $b -o %t | grep -qx R" &&
    scancel -u $(id -un) --state=PENDING &&
    squeue -h -j $b -o %t | grep -qx R &&
    scancel --signal=TERM $b &&
    wait_for 30 sh -c "squeue -h -t all -j $b -o %t | grep -Eqx \"F|CA\"" &&
    f=$(sbatch --parsable --wrap "sleep 60") &&
    scancel $(flux job id --to=f58 $f) &&
    wait_for 30 sh -c "squeue -h -t all -j $f -o %t | grep -qx CA" &&
    test_expect_code 1 scancel 999999 2>c.err &&
    grep -q "^scancel: error: Kill job error on job id 999999: Invalid job id specified$" c.err &&
    test_expect_code 1 scancel 2>c2.err &&
    grep -q "No job identification provided" c2.err
'
test_expect_success 'squeue filters: -u, --me, -j N_I, -t, -p, -n, -h, -o, -O, -l' '
    arr=$(sbatch --parsable -H -J arrjob --array=1-3 --wrap true) &&
    squeue -h -u $(id -un) -n arrjob -o %i | sort >a.out &&
    printf "%s_1\n%s_2\n%s_3\n" $arr $arr $arr >a.exp &&
    test_cmp a.exp a.out &&
    squeue -h --me -j ${arr}_2 -o "%F %K %T" | grep -qx "$arr 2 PENDING" &&
    squeue -h -p debug -t pending -n arrjob | wc -l | grep -qx 3 &&
    squeue -h -p nosuch | wc -l | grep -qx 0 &&
    squeue -O JobID:12,Name:8,StateCompact | sed -n 1p | grep -q "^JOBID        NAME     ST" &&
    squeue -l | sed -n 2p | grep -q "STATE.*TIME_LIMI " &&
    test_expect_code 1 squeue -t bogus 2>q.err &&
    grep -q "Invalid job state specified: bogus" q.err &&
    test_expect_code 1 squeue -o "%@" &&
    scancel $arr &&
    wait_for 30 sh -c "test \$(squeue -h -n arrjob | wc -l) -eq 0"
'
test_expect_success '-p NAME reaches the queue NAME, the default partition name included' '
    printf "[queues.debug]\n[queues.batch]\n[policy.jobspec.defaults.system]\nqueue = \"batch\"\n" >pq.toml &&
    flux start -c pq.toml sh -c "
        d=\$(sbatch --parsable -p debug --wrap true) &&
        b=\$(sbatch --parsable -p batch --wrap true) &&
        n=\$(sbatch --parsable --wrap true) &&
        s=\$(srun -p debug sh -c \"echo \\\$SLURM_JOB_PARTITION\") &&
        flux jobs -a -n -o \"{queue}\" \$d \$b \$n && echo srun=\$s" >pq.out &&
    printf "debug\nbatch\nbatch\nsrun=debug\n" >pq.exp &&
    test_cmp pq.exp pq.out
'
# Four synthetic nodes node[0-3] (gpu on 0-1) for -w/-x: jobs are placed
# (their R is read at alloc) though only rank 0 exists to run them.
test_expect_success '-w/--nodelist and -x/--exclude place sbatch jobs on those nodes' '
    flux sched-query --generate="cluster[1]->node[4]->core[2]" --dump-R >R0.json &&
    jq "del(.scheduling) | .execution.properties = {\"gpu\": \"0-1\"}" R0.json >R4.json &&
    printf "[resource]\npath = \"%s\"\nnoverify = true\n" "$PWD/R4.json" >n4.toml &&
    echo "node3 node1" >hosts.txt &&
    cat >wx.sh <<-EOT &&
	for a in "-w node[1-2]" "-N1 -w node3" "-N1 -w node[1-2]" "--nodelist=node0 -n2" \
	         "-x node[0-2]" "--exclude=node[1-3]" "-w $PWD/hosts.txt" "-C gpu -x node0"; do
	    id=\$(sbatch --parsable \$a --wrap true) &&
	    flux job wait-event -t 30 \$id alloc >/dev/null &&
	    echo "\$a: \$(flux job info \$id R | jq -r ".execution.nodelist[]")" || exit 1
	done
	EOT
    timeout 120 flux start -c n4.toml sh wx.sh >wx.out &&
    cat >wx.exp <<-EOT &&
	-w node[1-2]: node[1-2]
	-N1 -w node3: node3
	-N1 -w node[1-2]: node[1-2]
	--nodelist=node0 -n2: node0
	-x node[0-2]: node3
	--exclude=node[1-3]: node0
	-w $PWD/hosts.txt: node[1,3]
	-C gpu -x node0: node1
	EOT
    test_cmp wx.exp wx.out
'
test_expect_success '-w errors: more nodes than listed, a node that does not exist, a bad list' '
    timeout 60 flux start -c n4.toml sh -c "
        srun -N3 -w node[1-2] true; salloc -N3 --nodelist=node[1-2] true;
        sbatch -w node9 --wrap true; sbatch -x \"n[1-\" --wrap true;
        sbatch -w /nonexistent --wrap true; flux jobs -a -n | wc -l" >we.out 2>&1 &&
    cat we.out &&
    grep -q "^srun: error: .*(-N 3 is more than the 2 nodes of --nodelist=node\[1-2\]; the job may only use the listed nodes)" we.out &&
    grep -q "^salloc: error: .*(-N 3 is more than the 2 nodes of --nodelist=node\[1-2\]" we.out &&
    grep -q "^sbatch: error: .*no node satisfies the constraint .host:node9." we.out &&
    grep -q "^sbatch: error: Invalid node name specified: --exclude=n\[1-$" we.out &&
    grep -q "^sbatch: error: Unable to open --nodelist file /nonexistent" we.out &&
    test "$(tail -1 we.out)" = 0
'
test_expect_success 'squeue -o/-O: the fields Slurm scripts commonly ask for' '
    id=$(sbatch --parsable -c2 --mem=2G --wrap "sleep 30") &&
    wait_for 30 sh -c "test \"\$(squeue -h -j $id -o %t)\" = R" &&
    squeue -h -j $id -o "%c|%m|%f|%k|%z|%h|%y" >f.out &&
    echo "2|2G|(null)|(null)|*:*:*|OK|0" >f.exp &&
    test_cmp f.exp f.out &&
    test "$(squeue -h -j $id -o %B)" = "$(hostname)" &&
    test "$(squeue -h -j $id -o %G)" = "$(id -g)" &&
    squeue -j $id -O JobID,MinCpus,MinMemory,GroupName >O.out &&
    head -1 O.out | grep -q "^JOBID *MIN_CPUS *MIN_MEMORY *GROUP" &&
    scancel $id
'
# Memory in each slot: sched-graph places jobs by it (R carries it), the
# instance's sched-simple passes it by; more than the graph holds is
# refused at submission, naming the memory.
test_expect_success '--mem and --mem-per-cpu: memory in each slot, scheduled by sched-graph' '
    srun -n2 --mem-per-cpu=50M -c1 true &&
    flux job info $(flux jobs -a -n -c1 -o {id}) jobspec >mpc.js &&
    jq -e "[.resources[] | .. | objects | select(.type == \"memory\")][0] | .count == 50 and .unit == \"MB\"" mpc.js &&
    flux start -Ssched-module=sched-graph sh -c "
        srun -N1 -n2 --mem=300M true &&
        flux job info \$(flux jobs -a -n -c1 -o {id}) R >mem.R &&
        ! srun --mem=100000G true 2>big.err" &&
    jq -e "[.scheduling.graph.nodes[].metadata | select(.type == \"memory\") | .size] | add == 300" mem.R &&
    grep -q "unsatisfiable request: .* MB of memory requested" big.err
'
test_expect_success 'the daemon keeps running after bad input' '
    test_expect_code 1 sbatch -N 0 --wrap true &&
    test_expect_code 1 sbatch -a 9-1 --wrap true &&
    squeue >/dev/null && sinfo >/dev/null && flux jobs >/dev/null
'
test_done

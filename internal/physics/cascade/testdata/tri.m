function mpc = tri
% A three-bus ring written for the cascade tests: a 100 MW generator at
% bus 1, 30 MW of load at bus 2, 20 MW at bus 3, no branch ratings (no
% overload trips). Opening one branch leaves every bus fed; opening
% branches 1 and 2 leaves bus 2 alone and dark (30 MW lost); isolating
% bus 3 loses its 20 MW.
mpc.version = '2';
mpc.baseMVA = 100;
%	bus_i	type	Pd	Qd	Gs	Bs	area	Vm	Va	baseKV	zone	Vmax	Vmin
mpc.bus = [
	1	3	0	0	0	0	1	1	0	13.8	1	1.1	0.9;
	2	1	30	5	0	0	1	1	0	13.8	1	1.1	0.9;
	3	1	20	4	0	0	1	1	0	13.8	1	1.1	0.9;
];
%	bus	Pg	Qg	Qmax	Qmin	Vg	mBase	status	Pmax	Pmin
mpc.gen = [
	1	50	0	100	-100	1	100	1	100	0;
];
%	fbus	tbus	r	x	b	rateA	rateB	rateC	ratio	angle	status	angmin	angmax
mpc.branch = [
	1	2	0.01	0.1	0	0	0	0	0	0	1	-360	360;
	2	3	0.01	0.1	0	0	0	0	0	0	1	-360	360;
	1	3	0.01	0.1	0	0	0	0	0	0	1	-360	360;
];

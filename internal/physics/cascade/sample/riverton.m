function mpc = riverton
% Riverton's distribution grid, written for Citadel's sample city (not
% copied from any data set). One 115 kV supply point (bus 1) feeds the west
% substation (bus 2, 115 kV; bus 3, 13.8 kV) and, over two lines, the east
% substation (bus 5, its 13.8 kV load of 37.5 MW lumped). The west
% substation's 13.8 kV feeders are radial:
%   branch 3: feeder F3, hospital and water treatment plant (bus 4, 6.5 MW)
%   branch 5: feeder F1, north district (bus 6, 7.2 MW)
%   branch 6: feeder F7, south district and booster stations (bus 7, 5.8 MW)
% The sample city's elements refer to it: feeder-f3 is "branch:3",
% substation-east "bus:5", feeder-f1 "branch:5", feeder-f7 "branch:6".
% Ratings: 115 kV lines 120 MVA, the west transformer 40 MVA, feeders
% 12 MVA.
mpc.version = '2';
mpc.baseMVA = 100;
%	bus_i	type	Pd	Qd	Gs	Bs	area	Vm	Va	baseKV	zone	Vmax	Vmin
mpc.bus = [
	1	3	0	0	0	0	1	1	0	115	1	1.05	0.95;
	2	1	0	0	0	0	1	1	0	115	1	1.05	0.95;
	3	1	0	0	0	0	1	1	0	13.8	1	1.05	0.95;
	4	1	6.5	2.1	0	0	1	1	0	13.8	1	1.05	0.95;
	5	1	37.5	12.3	0	0	1	1	0	13.8	1	1.05	0.95;
	6	1	7.2	2.4	0	0	1	1	0	13.8	1	1.05	0.95;
	7	1	5.8	1.9	0	0	1	1	0	13.8	1	1.05	0.95;
];
%	bus	Pg	Qg	Qmax	Qmin	Vg	mBase	status	Pmax	Pmin
mpc.gen = [
	1	57	18.7	150	-150	1.02	100	1	200	0;
];
%	fbus	tbus	r	x	b	rateA	rateB	rateC	ratio	angle	status	angmin	angmax
mpc.branch = [
	1	2	0.008	0.06	0.01	120	120	120	0	0	1	-360	360;
	2	3	0.005	0.25	0	40	40	40	1	0	1	-360	360;
	3	4	0.15	0.3	0	12	12	12	0	0	1	-360	360;
	1	5	0.012	0.09	0.015	120	120	120	0	0	1	-360	360;
	3	6	0.15	0.3	0	12	12	12	0	0	1	-360	360;
	3	7	0.15	0.3	0	12	12	12	0	0	1	-360	360;
	2	5	0.01	0.08	0.012	120	120	120	0	0	1	-360	360;
];

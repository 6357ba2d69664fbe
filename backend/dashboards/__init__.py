"""The five wall dashboards (information aggregation, event management, dispute mediation, analysis and early
warning, performance assessment): what each shows, built from the events, the workers and the map, pushed live."""

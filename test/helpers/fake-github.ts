// The fake GitHub lives beside the other bench fixtures, so that `ail bench --github` can start it too.
export * from '../../server/bench/fake-github';

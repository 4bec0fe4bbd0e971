// Reading and writing the i32 slots of the tables in abi.ts (f32 slots hold their bits).
@inline export function slot(p: usize, s: i32): i32 {
  return load<i32>(p + (<usize>s << 2));
}
@inline export function uslot(p: usize, s: i32): usize {
  return <usize>load<u32>(p + (<usize>s << 2));
}
@inline export function fslot(p: usize, s: i32): f32 {
  return load<f32>(p + (<usize>s << 2));
}
@inline export function set_slot(p: usize, s: i32, v: i32): void {
  store<i32>(p + (<usize>s << 2), v);
}
// Element i of an i32 array.
@inline export function ival(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

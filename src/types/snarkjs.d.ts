// snarkjs and ffjavascript ship no type declarations; their APIs are used as untyped modules.
declare module 'snarkjs';
declare module 'ffjavascript';

declare module 'snarkjs';
declare module 'ffjavascript';
declare module 'circomlibjs';
